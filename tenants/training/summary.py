"""Each member's training of a calendar year, kept as rows (member_training_year) in the same
transaction as the attendance, names and events they sum: the figures the training coverage page,
readiness, the dashboard and the bureau views read for a year without aggregating five years of
attendance on every first view after a change (issue 23).

Derived, never typed: a commit that wrote any attendance, trainee name or training event of a
tenant recomputes that tenant's rows for the years those rows touch, by one DELETE and one
INSERT … SELECT of `live()` — the definition the coverage figures always had (tenants/training/
coverage.py per_member) — just before the tenant's data version moves (saas/tenant_cache.py
`before_bump`). Writes that name no year (bulk statements, a deleted member) recompute every year
of the tenant. Bulk loaders that bypass the session (tests/perf/generate.py's COPY, a tenant
archive's import) call `rebuild()`. tests/test_training_summary.py compares the rows with a
computation from scratch after each kind of write; `flask training-summary --check` does the same
on a live database.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from saas.extensions import db
from saas.tenancy import current_tenant_id, tenant_scope
from saas.tenant_cache import before_bump

from .models import Attendance, MemberTrainingYear, Trainee, TrainingEvent

TOUCHED = "training_summary.touched"  # session.info: {tenant id: {"years": set, "events": set, …}}
ALL = "all"
TABLES = {"attendance", "trainee", "training_event", "enterprise"}


def _touched(session: Session, tenant_id: int | None) -> dict | None:
    if tenant_id is None:
        return None
    return session.info.setdefault(TOUCHED, {}).setdefault(
        tenant_id, {"years": set(), "events": set(), "attendances": set(), "all": False})


@event.listens_for(Session, "after_flush")
def _note_objects(session, flush_context):
    from tenants.members.models import Enterprise

    for group in (session.new, session.dirty, session.deleted):
        for obj in group:
            if isinstance(obj, TrainingEvent):
                t = _touched(session, obj.tenant_id)
                history = sa.inspect(obj).attrs.held_on.history
                for day in (*history.added, *history.unchanged, *history.deleted):
                    if day is not None:
                        t["years"].add(day.year)
            elif isinstance(obj, Attendance):
                t = _touched(session, obj.tenant_id)
                state = sa.inspect(obj)
                history = state.attrs.event_id.history
                t["events"].update(e for e in (*history.added, *history.unchanged, *history.deleted) if e is not None)
                loaded = state.attrs.event.loaded_value  # never a lazy load inside a flush
                if loaded is not NO_VALUE and loaded is not None and loaded.held_on is not None:
                    t["years"].add(loaded.held_on.year)
                elif obj.event_id is None:
                    t["all"] = True
            elif isinstance(obj, Trainee):
                t = _touched(session, obj.tenant_id)
                if obj.attendance_id is None:
                    t["all"] = True
                else:
                    t["attendances"].add(obj.attendance_id)
            elif isinstance(obj, Enterprise) and obj in session.deleted:
                # Its attendance goes by cascade, and so may events it organised: every year.
                _touched(session, obj.tenant_id)["all"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state):
    # Bulk INSERT/UPDATE/DELETE on these tables name no rows the session sees: every year.
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in TABLES:
        t = _touched(state.session, current_tenant_id())
        if t is not None:
            t["all"] = True


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
    for tenant_id, t in sorted(touched.items()):
        with tenant_scope(tenant_id):
            years = None if t["all"] else _years(connection, tenant_id, t)
            if years is None or years:
                refresh(connection, tenant_id, years)


def _years(connection, tenant_id: int, t: dict) -> set[int] | None:
    """The calendar years the touched events, attendance and names are in (None: look at every
    year, when one of them is gone and its year unknown)."""
    years = set(t["years"])
    e, a = TrainingEvent.__table__.c, Attendance.__table__.c
    year = sa.cast(sa.extract("year", e.held_on), sa.Integer)
    if t["events"]:
        found = dict(connection.execute(sa.select(e.id, year).where(e.tenant_id == tenant_id, e.id.in_(t["events"]))).all())
        if set(found) != t["events"]:
            return None
        years.update(found.values())
    if t["attendances"]:
        found = dict(connection.execute(sa.select(a.id, year).join_from(Attendance.__table__, TrainingEvent.__table__,
                                                                        e.id == a.event_id)
                                        .where(a.tenant_id == tenant_id, a.id.in_(t["attendances"]))).all())
        if set(found) != t["attendances"]:
            return None
        years.update(found.values())
    return years


def live(tenant_id: int, years: set[int] | None = None):
    """SELECT of the rows member_training_year should hold for `tenant_id` (for `years`, or all):
    per member and calendar year, the events attended, the largest session's headcount, the
    distinct names, whether one of them was given by others (coverage.given_by_others) and the
    first day trained — the definitions of tenants/training/coverage.py."""
    from .coverage import given_by_others

    a, e, tr = Attendance.__table__.c, TrainingEvent.__table__.c, Trainee.__table__.c
    year = sa.cast(sa.extract("year", e.held_on), sa.Integer)
    held = [a.tenant_id == tenant_id, e.tenant_id == tenant_id]
    if years is not None:
        held.append(year.in_(sorted(years)))
    attended = (sa.select(a.enterprise_id, year.label("year"), sa.func.count().label("events"),
                          sa.func.max(a.headcount).label("largest"),
                          sa.func.max(sa.case((given_by_others(), 1), else_=0)).label("by_others"),
                          sa.func.min(e.held_on).label("first_on"))
                .join_from(Attendance.__table__, TrainingEvent.__table__, e.id == a.event_id)
                .where(*held).group_by(a.enterprise_id, year).subquery())
    named = (sa.select(a.enterprise_id, year.label("year"), sa.func.count(sa.distinct(tr.name)).label("named"))
             .join_from(Trainee.__table__, Attendance.__table__, sa.and_(a.tenant_id == tr.tenant_id, a.id == tr.attendance_id))
             .join(TrainingEvent.__table__, e.id == a.event_id)
             .where(tr.tenant_id == tenant_id, *held).group_by(a.enterprise_id, year).subquery())
    return (sa.select(sa.literal(tenant_id).label("tenant_id"), attended.c.enterprise_id, attended.c.year,
                      attended.c.events, attended.c.largest, sa.func.coalesce(named.c.named, 0).label("named"),
                      attended.c.by_others, attended.c.first_on)
            .outerjoin(named, sa.and_(named.c.enterprise_id == attended.c.enterprise_id,
                                      named.c.year == attended.c.year)))


COLUMNS = ("tenant_id", "enterprise_id", "year", "events", "largest", "named", "by_others", "first_on")


def refresh(connection, tenant_id: int, years: set[int] | None = None) -> None:
    """Recompute `tenant_id`'s rows for `years` (None: all) in the caller's transaction."""
    s = MemberTrainingYear.__table__
    gone = sa.delete(s).where(s.c.tenant_id == tenant_id)
    if years is not None:
        gone = gone.where(s.c.year.in_(sorted(years)))
    connection.execute(gone)
    connection.execute(sa.insert(s).from_select(list(COLUMNS), live(tenant_id, years)))


def rebuild(tenant_id: int) -> None:
    """Every year of one tenant, in the session's transaction (bulk loaders call it)."""
    with tenant_scope(tenant_id):
        refresh(db.session.connection(), tenant_id)


def differences(tenant_id: int) -> list[tuple]:
    """Rows kept that a computation from scratch would not give, and the other way round."""
    s = MemberTrainingYear.__table__
    with tenant_scope(tenant_id):
        connection = db.session.connection()
        kept = {tuple(r) for r in connection.execute(sa.select(*[s.c[c] for c in COLUMNS]).where(s.c.tenant_id == tenant_id))}
        fresh = {tuple(r) for r in connection.execute(live(tenant_id))}
    return sorted((("kept", *r) for r in kept - fresh), key=str) + sorted((("fresh", *r) for r in fresh - kept), key=str)


def year_of(period) -> int | None:
    """The calendar year a coverage period is, or None (any other range is computed live)."""
    year = period.start.year
    return year if (period.start, period.end) == (date(year, 1, 1), date(year, 12, 31)) else None
