"""Rows kept per member, derived from the rows of one model that name the member (enterprise_id):
recomputed in the same transaction as those rows, for the members the transaction wrote rows of,
right after the tenant's data version moved, at COMMIT (saas/tenant_cache.py `at_bump`). The figures of
the tenant read them instead of grouping every member's rows on each first view after a change
(issue 23): the checklist counts (member_checklist) and the visits per year (member_visit_year).
The yearly training rows (tenants/training/summary.py) follow the same rule over three models.

A bulk statement on the source table names no member: every member of the tenant is recomputed.
A deleted member's rows go with it (ON DELETE CASCADE). Bulk loaders that bypass the session
call `rebuild()`, and `flask tenants training-summary --check` compares the rows with a
computation from scratch (`differences()`), for every kept table (tenants/kept_rows.py KEPT).
"""

from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from saas.extensions import db
from saas.tenancy import current_tenant_id, tenant_scope
from saas.tenant_cache import at_bump
from tenants.kept_rows import differences, replace


class PerMember:
    """`table`'s rows: `definition(tenant_id)`, a SELECT over `source` naming the tenant (it runs
    outside the ORM's tenant scope) whose columns are the table's, kept for the members of the
    `source` rows a transaction added, deleted or changed in one of the `watched` attributes."""

    def __init__(self, table: sa.Table, source, watched: tuple[str, ...], definition: Callable[[int], sa.Select]):
        self.table, self.source, self.watched, self.definition = table, source, watched, definition
        self.key = f"{table.name}.touched"  # session.info: {tenant id: member ids, or None: every member}
        event.listen(Session, "after_flush", self._note_objects)
        event.listen(Session, "do_orm_execute", self._note_statements)
        event.listen(Session, "after_transaction_end", self._forget)
        at_bump(self._refresh_touched)

    def _touch(self, session: Session, tenant_id: int | None, members: set[int] | None) -> None:
        if tenant_id is None:
            return
        touched = session.info.setdefault(self.key, {})
        if members is None or touched.get(tenant_id, set()) is None:
            touched[tenant_id] = None
        else:
            touched.setdefault(tenant_id, set()).update(members)

    def _note_objects(self, session, flush_context) -> None:
        for group in (session.new, session.dirty, session.deleted):
            for obj in group:
                if not isinstance(obj, self.source):
                    continue
                state = sa.inspect(obj)
                if obj in session.dirty and not any(state.attrs[n].history.has_changes() for n in self.watched):
                    continue  # an attribute the kept rows do not read
                history = state.attrs.enterprise_id.history  # the old member as well as the new
                members = {m for m in (*history.added, *history.unchanged, *history.deleted) if m is not None}
                self._touch(session, obj.tenant_id, members or None)

    def _note_statements(self, state) -> None:
        if (state.is_insert or state.is_update or state.is_delete) and \
                getattr(getattr(state.statement, "table", None), "name", None) == self.source.__tablename__:
            self._touch(state.session, current_tenant_id(), None)

    def _forget(self, session, transaction) -> None:
        if transaction.parent is None:
            session.info.pop(self.key, None)

    def _refresh_touched(self, session: Session, written: set[int]) -> None:
        touched = session.info.pop(self.key, None)
        if not touched:
            return
        connection = session.connection()
        for tenant_id, members in sorted(touched.items()):
            self.refresh(connection, tenant_id, members)

    def live(self, tenant_id: int, members: set[int] | None = None):
        """SELECT of the rows the table should hold for `tenant_id` (for `members`, or all)."""
        select = self.definition(tenant_id)
        if members is not None:
            select = select.where(self.source.__table__.c.enterprise_id.in_(sorted(members)))
        return select

    def refresh(self, connection, tenant_id: int, members: set[int] | None = None) -> None:
        """Recompute `tenant_id`'s rows of `members` (None: all) in the caller's transaction."""
        replace(connection, self.table, tenant_id, self.live(tenant_id, members), enterprise_id=members)

    def rebuild(self, tenant_id: int) -> None:
        """Every member of one tenant, in the session's transaction (bulk loaders call it)."""
        with tenant_scope(tenant_id):
            self.refresh(db.session.connection(), tenant_id)

    def differences(self, tenant_id: int) -> list[tuple]:
        """Rows kept that a computation from scratch would not give, and the other way round."""
        return differences(self.table, self.live(tenant_id), tenant_id)
