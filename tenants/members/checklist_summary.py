"""Each member's checklist items in place, counted (member_checklist) in the same transaction as
the items they count: what the tenant figures read (tenants/metrics/service.py) instead of
grouping every member's items on each first view after a change (issue 23) — the same pattern
as the yearly training rows (tenants/training/summary.py).

Derived, never typed: a commit that wrote checklist items of a tenant recomputes that tenant's
rows of the members whose items it wrote, by one DELETE and one INSERT … SELECT of `live()`,
just before the tenant's data version moves (saas/tenant_cache.py `before_bump`). A bulk
statement on the items names no member: every member of the tenant is recomputed. A deleted
member's row goes with it (ON DELETE CASCADE). Bulk loaders that bypass the session call
`rebuild()`. tests/test_checklist_summary.py compares the rows with a computation from scratch
after each kind of write; `flask tenants training-summary --check` checks these rows too.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from saas.extensions import db
from saas.tenancy import current_tenant_id, tenant_scope
from saas.tenant_cache import before_bump

from .checklists import CORE_ITEMS, LEAK_PLAN_ITEM, RULES_ITEM
from .models import ChecklistItem, MemberChecklist

TOUCHED = "checklist_summary.touched"  # session.info: {tenant id: set of member ids, or None: every member}
COLUMNS = ("tenant_id", "enterprise_id", "rules", "core", "leak")


def _touch(session: Session, tenant_id: int | None, members: set[int] | None) -> None:
    if tenant_id is None:
        return
    touched = session.info.setdefault(TOUCHED, {})
    if members is None or touched.get(tenant_id, set()) is None:
        touched[tenant_id] = None
    else:
        touched.setdefault(tenant_id, set()).update(members)


@event.listens_for(Session, "after_flush")
def _note_objects(session, flush_context):
    for group in (session.new, session.dirty, session.deleted):
        for obj in group:
            if not isinstance(obj, ChecklistItem):
                continue
            state = sa.inspect(obj)
            if obj in session.dirty and not any(state.attrs[n].history.has_changes()
                                                for n in ("state", "code", "enterprise_id")):
                continue  # its note
            history = state.attrs.enterprise_id.history  # the old member as well as the new
            members = {m for m in (*history.added, *history.unchanged, *history.deleted) if m is not None}
            _touch(session, obj.tenant_id, members or None)


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state):
    # A bulk INSERT/UPDATE/DELETE on the items names no rows the session sees: every member.
    if (state.is_insert or state.is_update or state.is_delete) and \
            getattr(getattr(state.statement, "table", None), "name", None) == ChecklistItem.__tablename__:
        _touch(state.session, current_tenant_id(), None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session, transaction):
    if transaction.parent is None:
        session.info.pop(TOUCHED, None)


@before_bump
def _refresh_touched(session: Session, written: set[int]) -> None:
    """Called by saas/tenant_cache.py just before the written tenants' versions move."""
    touched = session.info.pop(TOUCHED, None)
    if not touched:
        return
    connection = session.connection()
    for tenant_id, members in sorted(touched.items()):
        refresh(connection, tenant_id, members)


def live(tenant_id: int, members: set[int] | None = None):
    """SELECT of the rows member_checklist should hold for `tenant_id` (for `members`, or all).
    It runs on the session's connection, outside the ORM's tenant scope: the tenant is named here."""
    c = ChecklistItem.__table__.c
    one = lambda cond: sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)  # noqa: E731
    select = (sa.select(sa.literal(tenant_id).label("tenant_id"), c.enterprise_id, one(c.code == RULES_ITEM).label("rules"),
                        one(c.code.in_(CORE_ITEMS)).label("core"), one(c.code == LEAK_PLAN_ITEM).label("leak"))
              .where(c.tenant_id == tenant_id, c.state == "in_place").group_by(c.enterprise_id))
    if members is not None:
        select = select.where(c.enterprise_id.in_(sorted(members)))
    return select


def refresh(connection, tenant_id: int, members: set[int] | None = None) -> None:
    """Recompute `tenant_id`'s rows of `members` (None: all) in the caller's transaction."""
    s = MemberChecklist.__table__
    gone = sa.delete(s).where(s.c.tenant_id == tenant_id)
    if members is not None:
        gone = gone.where(s.c.enterprise_id.in_(sorted(members)))
    connection.execute(gone)
    connection.execute(sa.insert(s).from_select(list(COLUMNS), live(tenant_id, members)))


def rebuild(tenant_id: int) -> None:
    """Every member of one tenant, in the session's transaction (bulk loaders call it)."""
    with tenant_scope(tenant_id):
        refresh(db.session.connection(), tenant_id)


def differences(tenant_id: int) -> list[tuple]:
    """Rows kept that a computation from scratch would not give, and the other way round."""
    s = MemberChecklist.__table__
    with tenant_scope(tenant_id):
        connection = db.session.connection()
        kept = {tuple(r) for r in connection.execute(sa.select(*[s.c[c] for c in COLUMNS]).where(s.c.tenant_id == tenant_id))}
        fresh = {tuple(r) for r in connection.execute(live(tenant_id))}
    return sorted((("kept", *r) for r in kept - fresh), key=str) + sorted((("fresh", *r) for r in fresh - kept), key=str)
