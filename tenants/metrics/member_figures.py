"""The member figures of a tenant's calendar year (active members, with a liaison, recognised,
trained, visited…: the member pass of the tenant metrics, service.py `_member_pass`) and its
members' groups by month (tenants/training/coverage.py `year_groups`: training coverage's figures
and by-month chart), kept as a row of the tenant (member_figures) in the same transaction as the
rows they count, for this year — the year readiness, the dashboard, the plans and training
coverage read by default. A first view after a change reads the row instead of
joining every member to its training, checklist and visits (the member pass was 4 ms of 17 at
2,000 members on PostgreSQL, the groups 2.5 ms; issue 23). Other years, and a year whose row is
missing (a new year before the tenant's first write in it), are computed as before. One year,
not two: each write that recomputes them pays for every year kept (at 2,000 members, 10–13 ms a
year on PostgreSQL).

Derived, never typed: a commit that wrote any row the member pass reads, directly (members,
liaison persons, recognitions) or through the rows kept per member (attendance, trainee names,
training events, checklist items, visits), recomputes the tenant's rows by running that same
statement — after the hooks that keep the per-member rows (saas/tenant_cache.py `at_bump`, last),
which it reads. The member pass for a calendar year depends on that year's last day only, never
on today: a row stays true until the tenant's rows change. Bulk loaders call `rebuild()` (tenants/
kept_rows.py KEPT); tests/test_member_figures.py and `flask tenants training-summary --check`
compare the rows with a computation from scratch.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from saas.extensions import db
from saas.tenancy import tenant_scope
from saas.tenant_cache import at_bump, tables_written
from tenants.kept_rows import compared
from tenants.training.coverage import Period, live_groups

from .models import FIGURES, MemberFigures

# What the member pass reads, directly or through the rows kept per member.
TABLES = frozenset({"enterprise", "liaison_person", "recognition", "attendance", "trainee", "training_event",
                    "checklist_item", "guidance_visit"})


def kept_years(today: date | None = None) -> tuple[int]:
    """The years a tenant's figures are kept for: this one."""
    return ((today or date.today()).year,)


@at_bump(last=True)
def _refresh_written(session: Session, written: set[int]) -> None:
    # The tenant cache knows which tables the transaction wrote, COPY included (saas/bulk.py).
    for tenant_id in sorted(written):
        if tables_written(session, tenant_id) & TABLES:
            refresh(session, tenant_id)


def live(session: Session, tenant_id: int, years) -> list[dict]:
    """The rows the table should hold for `tenant_id` and `years`: the member pass of each year,
    run as the tenant metrics run it (in the tenant's scope)."""
    from .service import _member_pass

    rows = []
    with tenant_scope(tenant_id):
        for year in sorted(years):
            values = session.execute(_member_pass(Period.year(year))).one()
            rows.append({"tenant_id": tenant_id, "year": year,
                         **{name: int(v) if v is not None else None for name, v in zip(FIGURES, values)},
                         "groups": [list(g) for g in live_groups(year)]})
    return rows


def refresh(session: Session, tenant_id: int) -> None:
    """Replace `tenant_id`'s rows by this year's, in the session's transaction."""
    table = MemberFigures.__table__
    with tenant_scope(tenant_id):  # the database's row-level security is told the tenant too
        rows = live(session, tenant_id, kept_years())
        connection = session.connection()
        connection.execute(sa.delete(table).where(table.c.tenant_id == tenant_id))
        connection.execute(sa.insert(table), rows)


def rebuild(tenant_id: int) -> None:
    """One tenant's rows from scratch, in the session's transaction (bulk loaders call it)."""
    refresh(db.session, tenant_id)


def differences(tenant_id: int) -> list[tuple]:
    """Rows kept that a computation from scratch would not give, and the other way round (for
    the years kept: a year without a row is computed when read)."""
    table = MemberFigures.__table__
    names = ("year", *FIGURES, "groups")

    def key(row) -> tuple:  # the groups as tuples, to compare rows as sets
        return tuple(tuple(map(tuple, row[n])) if n == "groups" else row[n] for n in names)

    with tenant_scope(tenant_id):
        kept = {key(r._mapping) for r in db.session.connection().execute(
            sa.select(*[table.c[n] for n in names]).where(table.c.tenant_id == tenant_id))}
    return compared(kept, {key(r) for r in live(db.session, tenant_id, {k[0] for k in kept})})
