"""Each member's training of a calendar year, kept as rows (member_training_year) in the same
transaction as the attendance, names and events they sum: the figures the training coverage page,
readiness, the dashboard and the bureau views read for a year without aggregating five years of
attendance on every first view after a change (issue 23).

Derived, never typed: a commit that wrote any attendance, trainee name or training event of a
tenant recomputes that tenant's rows for the years those rows touch, by one DELETE and one
INSERT … SELECT of `live()` — the definition the coverage figures always had (tenants/training/
coverage.py per_member) — right after the tenant's data version moved, at COMMIT (saas/tenant_cache.py
`at_bump`). Writes that name no year (bulk statements, a deleted member) recompute every year
of the tenant. Bulk loaders that bypass the session (tests/perf/generate.py's COPY, a tenant
archive's import) call `rebuild()`. tests/test_training_summary.py compares the rows with a
computation from scratch after each kind of write; `flask tenants training-summary --check` does
the same on a live database (without --check it recomputes every tenant's rows).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from saas.extensions import db
from saas.tenancy import current_tenant_id, tenant_scope
from saas.tenant_cache import at_bump
from tenants import kept_rows
from tenants.kept_rows import replace

from .models import Attendance, MemberTrainingYear, Trainee, TrainingEvent

TOUCHED = "training_summary.touched"  # session.info: {tenant id: {"years": set, "events": set, …}}
ALL = "all"
TABLES = {"attendance", "trainee", "training_event", "enterprise"}


def _touched(session: Session, tenant_id: int | None) -> dict | None:
    """What a transaction's writes make stale in one tenant: (year, member) pairs, or pairs still
    to be resolved from an event or an attendance id; whole years; or everything."""
    if tenant_id is None:
        return None
    return session.info.setdefault(TOUCHED, {}).setdefault(
        tenant_id, {"pairs": set(), "event_pairs": set(), "events": {}, "attendances": set(), "years": set(),
                    "gone_events": set(), "gone_attendances": set(), "all": False})


def _values(state, name: str) -> set:
    history = state.attrs[name].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


@event.listens_for(Session, "after_flush")
def _note_objects(session, flush_context):
    from tenants.members.models import Enterprise

    for group in (session.new, session.dirty, session.deleted):
        for obj in group:
            if isinstance(obj, TrainingEvent):
                state = sa.inspect(obj)
                if obj in session.dirty and not any(state.attrs[n].history.has_changes() for n in ("held_on", "organiser")):
                    continue  # its title, or its attendance (seen row by row below)
                t = _touched(session, obj.tenant_id)
                years = {day.year for day in _values(state, "held_on")}
                if obj in session.deleted:
                    t["years"] |= years  # its attendance is gone with it: those years whole
                    t["gone_events"].add(obj.id)
                else:  # its date or organiser: every member at it, in its old and new year
                    t["events"].setdefault(obj.id, set()).update(years)
            elif isinstance(obj, Attendance):
                t = _touched(session, obj.tenant_id)
                state = sa.inspect(obj)
                members = _values(state, "enterprise_id")
                loaded = state.attrs.event.loaded_value  # never a lazy load inside a flush
                if loaded is not NO_VALUE and loaded is not None and loaded.held_on is not None:
                    t["pairs"] |= {(loaded.held_on.year, m) for m in members}
                events = _values(state, "event_id")
                if not events or not members:
                    t["all"] = True
                if obj in session.deleted:
                    t["gone_attendances"].add(obj.id)  # its names go with it
                t["event_pairs"] |= {(e, m) for e in events for m in members}
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


@at_bump
def _refresh_touched(session: Session, written: set[int]) -> None:
    """Called by saas/tenant_cache.py right after the written tenants' versions moved: recompute
    the rows of the (year, member) pairs the transaction touched — one member's year when one
    attendance was recorded, every member at an event whose date moved —, whole years where the
    members are unknown, every year when even the years are."""
    touched = session.info.pop(TOUCHED, None)
    if not touched:
        return
    connection = session.connection()
    for tenant_id, t in sorted(touched.items()):
        with tenant_scope(tenant_id):
            stale = None if t["all"] else _resolve(connection, tenant_id, t)
            if stale is None:
                refresh(connection, tenant_id)
                continue
            years, pairs = stale
            if years:
                refresh(connection, tenant_id, years)
            by_year: dict[int, set[int]] = {}
            for year, member in pairs:
                if year not in years:
                    by_year.setdefault(year, set()).add(member)
            for year, members in sorted(by_year.items()):
                refresh(connection, tenant_id, {year}, members)


def _resolve(connection, tenant_id: int, t: dict) -> tuple[set[int], set[tuple[int, int]]] | None:
    """(whole years, (year, member) pairs) the touched rows make stale; None: every year (one of
    them is gone and where it was is unknown)."""
    years, pairs = set(t["years"]), set(t["pairs"])
    e, a = TrainingEvent.__table__.c, Attendance.__table__.c
    year = sa.cast(sa.extract("year", e.held_on), sa.Integer)
    event_ids = {ev for ev, _m in t["event_pairs"]}
    if event_ids:
        found = dict(connection.execute(sa.select(e.id, year).where(e.tenant_id == tenant_id, e.id.in_(event_ids))).all())
        for ev, member in t["event_pairs"]:
            if ev in found:
                pairs.add((found[ev], member))
            elif ev not in t["gone_events"]:  # gone, and not with an event whose years are recomputed
                return None
    if t["events"]:
        for ev, member in connection.execute(sa.select(a.event_id, a.enterprise_id)
                                             .where(a.tenant_id == tenant_id, a.event_id.in_(t["events"]))):
            pairs |= {(y, member) for y in t["events"][ev]}
    if t["attendances"]:
        found = connection.execute(sa.select(a.id, year, a.enterprise_id)
                                   .join_from(Attendance.__table__, TrainingEvent.__table__, e.id == a.event_id)
                                   .where(a.tenant_id == tenant_id, a.id.in_(t["attendances"]))).all()
        if not t["attendances"] - {r[0] for r in found} <= t["gone_attendances"]:
            return None  # names of an attendance gone in a way the session did not see
        pairs |= {(y, member) for _id, y, member in found}
    return years, pairs


def live(tenant_id: int, years: set[int] | None = None, members: set[int] | None = None):
    """SELECT of the rows member_training_year should hold for `tenant_id` (for `years`, or all;
    `members`, or all): coverage.training_by_member per member and calendar year. It runs on the
    session's connection, outside the ORM's tenant scope: the tenant is named here."""
    from .coverage import training_by_member

    held = [Attendance.tenant_id == tenant_id, TrainingEvent.tenant_id == tenant_id]
    if years is not None:
        held.append(sa.cast(sa.extract("year", TrainingEvent.held_on), sa.Integer).in_(sorted(years)))
    if members is not None:
        held.append(Attendance.enterprise_id.in_(sorted(members)))
    attended, named = training_by_member(held, by_year=True)
    return (sa.select(sa.literal(tenant_id).label("tenant_id"), attended.c.enterprise_id, attended.c.year,
                      attended.c.events, attended.c.largest, sa.func.coalesce(named.c.named, 0).label("named"),
                      attended.c.by_others, attended.c.first_on)
            .outerjoin(named, sa.and_(named.c.enterprise_id == attended.c.enterprise_id,
                                      named.c.year == attended.c.year)))


def refresh(connection, tenant_id: int, years: set[int] | None = None, members: set[int] | None = None) -> None:
    """Recompute `tenant_id`'s rows for `years` (None: all) and `members` (None: all) in the
    caller's transaction."""
    replace(connection, MemberTrainingYear.__table__, tenant_id, live(tenant_id, years, members),
            year=years, enterprise_id=members)


def rebuild(tenant_id: int) -> None:
    """Every year of one tenant, in the session's transaction (bulk loaders call it)."""
    with tenant_scope(tenant_id):
        refresh(db.session.connection(), tenant_id)


def differences(tenant_id: int) -> list[tuple]:
    """Rows kept that a computation from scratch would not give, and the other way round."""
    return kept_rows.differences(MemberTrainingYear.__table__, live(tenant_id), tenant_id)
