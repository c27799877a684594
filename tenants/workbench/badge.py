"""The pending count beside "Workbench" (reviewers) or "Instructor home" (instructors) in the top
bar.

The top bar itself is rendered once per user and language (saas/templating.py); the count is
filled into it on every request, so it is right on the page after an action. Computing it
would cost the workbench's count on every page, so it is kept per worker under what it depends
on: the user, the day (re-reviews and follow-ups fall due at midnight) and the `data_version`
of every tenant it reads (saas/tenant_cache.py: any write to a tenant's rows, a decision
included, gives it a new one). Reading those versions is one statement of one row: the
jurisdiction's stamp (tenants/bureau/service.py), which a bureau view has read already.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from saas.extensions import db
from saas.tenancy import Tenant, cross_tenant_reads
from saas.tenant_cache import LRU, MISSING, WRITTEN

from . import instructor, service


def _jurisdiction_stamp(bureau_id: int) -> str:
    known = g.get("jurisdiction_stamps", {}).get(bureau_id)
    if known is not None:  # read already by this request's bureau view (bureau/views.py)
        return known
    from tenants.bureau.service import stamp  # the bureau package imports the workbench's

    return stamp(bureau_id)


def _assigned_versions(user_id: int) -> tuple:
    with cross_tenant_reads(instructor.REASON):
        return tuple(map(tuple, db.session.execute(sa.select(Tenant.id, Tenant.data_version)
                                                   .where(Tenant.id.in_(instructor.assigned(user_id)))
                                                   .order_by(Tenant.id)).all()))


def count(user) -> int | None:
    """The user's pending count; None for a user with no workbench (neither reviewer nor
    instructor)."""
    today = date.today()
    if user.is_reviewer:
        key = ("reviewer", user.id, user.bureau_id, today, _jurisdiction_stamp(user.bureau_id))
        compute = lambda: service.pending(user, today)  # noqa: E731
    elif user.bureau_role == "instructor":
        key = ("instructor", user.id, today, _assigned_versions(user.id))
        compute = lambda: instructor.pending(user.id, today)  # noqa: E731
    else:
        return None
    if not current_app.config.get("TENANT_CACHE", True) or db.session.info.get(WRITTEN):
        return compute()  # this request's own uncommitted writes must count
    store = current_app.extensions.setdefault("workbench_badge", LRU())
    value = store.get(key)
    if value is MISSING:
        value = compute()
        store.put(key, value)
    return value


def html() -> Markup:
    """The badge for the current user (nothing when nothing waits)."""
    if not current_user.is_authenticated:
        return Markup("")
    n = count(current_user)
    if not n:
        return Markup("")
    return Markup('<span class="badge rounded-pill text-bg-warning ms-1 pending-badge" data-pending="%d">%d'
                  '<span class="visually-hidden"> %s</span></span>') % (n, n, _("waiting for you"))
