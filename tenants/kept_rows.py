"""Rows kept from other rows in the same transaction as those rows (issue 23): each member's
training per year (tenants/training/summary.py), checklist counts (tenants/members/checklist_summary.py)
and visits per year (tenants/visits/summary.py), and each tenant's member figures of this year
(tenants/metrics/member_figures.py). What they share: replacing a tenant's stale rows
by a computation from scratch, comparing the two, and the list of them, so that the bulk loaders
and `flask tenants training-summary` cover a fourth table when it is added to KEPT.
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import tenant_scope

# Each module has rebuild(tenant_id) and differences(tenant_id).
# The tenant's member figures last: they are computed from the three before them.
KEPT = ("tenants.training.summary", "tenants.members.checklist_summary", "tenants.visits.summary",
        "tenants.metrics.member_figures")


def replace(connection, table: sa.Table, tenant_id: int, fresh: sa.Select, **among: set | None) -> None:
    """Delete `tenant_id`'s rows of `table` whose columns are among the given values (None: any
    value) and insert the rows of `fresh`, which computes them, in the caller's transaction."""
    gone = sa.delete(table).where(table.c.tenant_id == tenant_id)
    for column, values in among.items():
        if values is not None:
            gone = gone.where(table.c[column].in_(sorted(values)))
    connection.execute(gone)
    connection.execute(sa.insert(table).from_select([c.name for c in fresh.selected_columns], fresh))


def differences(table: sa.Table, fresh: sa.Select, tenant_id: int) -> list[tuple]:
    """Rows of `tenant_id` kept in `table` that `fresh` (its computation from scratch) would not
    give, and the other way round."""
    columns = [table.c[c.name] for c in fresh.selected_columns]
    with tenant_scope(tenant_id):
        connection = db.session.connection()
        kept = {tuple(r) for r in connection.execute(sa.select(*columns).where(table.c.tenant_id == tenant_id))}
        computed = {tuple(r) for r in connection.execute(fresh)}
    return compared(kept, computed)


def compared(kept: set[tuple], computed: set[tuple]) -> list[tuple]:
    """Kept rows a computation from scratch does not give ("kept", …), and the other way round
    ("fresh", …)."""
    return sorted((("kept", *r) for r in kept - computed), key=str) + \
        sorted((("fresh", *r) for r in computed - kept), key=str)


def _modules():
    return [importlib.import_module(name) for name in KEPT]


def rebuild_all(tenant_id: int) -> None:
    """Every kept table of one tenant from scratch, in the session's transaction: after a load
    that bypassed the session (a COPY, a tenant archive's import)."""
    for module in _modules():
        module.rebuild(tenant_id)


def differences_all(tenant_id: int) -> dict[str, list[tuple]]:
    """{kept table module: its differences} for the tables of `tenant_id` that differ."""
    found = {name: module.differences(tenant_id) for name, module in zip(KEPT, _modules())}
    return {name: rows for name, rows in found.items() if rows}
