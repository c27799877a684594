"""Background export of the tenant's users and roles as .xlsx."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, gettext as _

from saas.auth.models import Membership, User
from saas import xlsx
from saas.extensions import db
from saas.jobs import job
from saas.tenancy import Tenant, current_tenant_id

from .forms import ROLE_CHOICES


@job(queue="default", timeout=300, permission="users.manage", title=lambda *a: _("Users of this base as a spreadsheet"),
     back=lambda *a: url_for("settings.users"))
def export_users(ctx, locale: str = "zh_CN"):
    tenant = db.session.get(Tenant, current_tenant_id())
    rows = db.session.execute(
        # Not the last sign-in: that is the account's activity anywhere on the platform, not
        # this tenant's business.
        sa.select(User.name, User.email, Membership.role, User.active)
        .join(Membership, Membership.user_id == User.id).order_by(User.name)
    ).all()
    with force_locale(locale):
        roles = {value: str(label) for value, label in ROLE_CHOICES}
        book = xlsx.Book()
        ws = book.sheet(_("Users"))
        xlsx.append(ws, [_("Name"), _("Email"), _("Role"), _("Active")])
        for i, row in enumerate(rows, 1):
            xlsx.append(ws, [row.name, row.email, roles.get(row.role, row.role), _("yes") if row.active else _("no")])
            if i % 500 == 0:
                ctx.progress(int(90 * i / len(rows)))
    relative = Path(str(tenant.id)) / "exports" / f"{uuid.uuid4().hex}.xlsx"
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return {"file": str(relative), "filename": f"users-{tenant.slug}-{date.today():%Y%m%d}.xlsx",
            "rows": len(rows)}
