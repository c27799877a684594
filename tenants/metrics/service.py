"""Every derived metric of DOMAIN.md for a tenant and a period, in a fixed number of SQL
queries (aggregates in SQL). The dashboard, the readiness score, the plan progress and (later)
the application snapshot and the API all read figures from here.

`tenant_metrics(period)` → {name: value}; `LINKS` says which page lists the rows behind each.
`enterprise_metrics(year)` → {enterprise id: {name: value}} for enterprise schemes.
"""

from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa

from saas.auth.models import Membership
from saas.database import count_where
from saas.extensions import db
from saas.tenant_cache import cached
from tenants.metrics.models import FIGURES, MemberFigures
from tenants.members.checklists import CORE_ITEMS, ITEMS
from tenants.members.models import ChecklistItem, Enterprise, LiaisonPerson, MemberChecklist, SurveyYear
from tenants.members.queries import active_on
from tenants.recognition.models import Recognition
from tenants.recognition.queries import recognised_enterprise, valid_on
from tenants.stations.followups import overdue_counts_select
from tenants.stations.models import CATEGORIES, ServiceLog, Station, StationStaff
from tenants.training.coverage import Period, all_staff, figures, given_by_others, is_trained, per_member, year_of
from tenants.training.models import KINDS, Attendance, TrainingEvent
from tenants.visits.models import (VISITS_PER_YEAR, GuidanceVisit, InstructorEnterprise, ProtectionStaff, TeamActivity,
                                   VisitInstructor)
from tenants.visits.services import visits_by_member

# metric → (endpoint, fixed arguments): where the rows behind a figure are listed. Endpoints in
# PERIOD_ARGS also get the figure's year (see labels.metric_url).
LINKS = {
    "active_members": ("members.index", {"status": "active"}),
    "members_with_liaison": ("members.index", {"status": "active", "liaison": "yes"}),
    "members_without_liaison": ("members.index", {"status": "active", "liaison": "no"}),
    "demonstration_units": ("recognition.index", {}),
    "members_with_rules": ("members.index", {"status": "active", "rules": "yes"}),
    "five_three_members": ("members.index", {"status": "active", "checklist": "complete"}),
    "served_enterprises": ("members.index", {"status": "active"}),  # a base serves its members (WH-2)
    "trained_enterprises": ("training.coverage", {"show": "trained"}),
    "trained_enterprise_ratio": ("training.coverage", {"show": "trained"}),  # the part of the ratio listed
    "visit_coverage_ratio": ("visits.coverage_page", {}),
    "never_trained": ("training.coverage", {"show": "never"}),
    "all_staff_trained_members": ("training.coverage", {"show": "allstaff"}),
    "publicity_events": ("training.index", {"kind": "publicity"}),
    "training_events": ("training.index", {}),
    "visits": ("visits.index", {}),
    "members_below_visits": ("visits.coverage_page", {}),
    "service_logs": ("stations.log", {}),
    "complaints": ("stations.log", {"category": "complaint"}),
    "overdue_follow_ups": ("stations.follow_ups", {}),  # overdue whatever year they were made in
    "stations": ("stations.index", {}),
    "instructors": ("visits.instructors", {}),
    "protection_staff": ("visits.team", {}),
}

PERIOD_ARGS = {"recognition.index": "year", "training.coverage": "year", "training.index": "year", "visits.index": "year",
               "visits.coverage_page": "year", "stations.log": "range"}

TENANT_METRICS = (
    "active_members", "members_with_liaison", "members_without_liaison", "demonstration_units",
    "adopted_standard_members", "members_with_rules", "members_with_rules_ratio", "protection_work_members",
    "protection_work_ratio", "trained_enterprises", "trained_enterprise_ratio", "never_trained",
    "all_staff_trained_members", "training_events", "publicity_events", "training_hours", "visits",
    "visits_per_member", "min_visits_per_member", "members_below_visits", "visit_coverage_ratio", "service_logs",
    "service_categories", "complaints", "guidance_services", "rights_services", "overdue_follow_ups", "stations",
    "max_experienced_staff", "instructors", "protection_staff", "team_trainings", "publicity_materials",
    "plan_exists", "plan_has_xc_targets", "members_with_leak_plan", "members_with_leak_plan_ratio",
    "five_three_members", "five_three_ratio", "served_enterprises", "served_trained_enterprises",
    "served_trained_ratio",
    *[f"service_logs.{c}" for c in CATEGORIES],
)
ENTERPRISE_METRICS = ("has_liaison", "visits_in_year", "has_fixed_instructor", "fixed_instructor_visits",
                      "trainings_in_year", "all_staff_trained", "incidents_caused", "incidents_suffered", *ITEMS)


def _ratio(part, whole):
    return part / whole if whole else None


def in_office(day: date):
    return sa.and_(LiaisonPerson.started_on <= day,
                   sa.or_(LiaisonPerson.ended_on.is_(None), LiaisonPerson.ended_on > day))


def liaison_on(day: date):
    """SQL EXISTS for the enclosing Enterprise row: a liaison person in office on `day` (TJ-1),
    dated so that last year's figure stays last year's when a liaison changes today."""
    # Correlated EXISTS are Core constructs the tenant scope does not rewrite: name the tenant
    # so the (tenant_id, enterprise_id, …) indexes serve them (else a scan per member).
    return sa.exists().where(LiaisonPerson.tenant_id == Enterprise.tenant_id,
                             LiaisonPerson.enterprise_id == Enterprise.id, in_office(day))


def liaisons_on(day: date):
    """SQL: the members with a liaison person in office on `day` (liaison_on as a set, for
    counting over all members at once)."""
    return sa.select(LiaisonPerson.enterprise_id).where(in_office(day))


def adopted_by(day: date, row=Enterprise):
    """SQL for the enclosing Enterprise row (or a subquery's `row.c` with its columns): it had
    adopted the local standard by `day`. Adoption is dated: a member that adopted the standard
    later did not count then."""
    return sa.and_(row.adopted_standard.is_(True), sa.or_(row.adopted_on.is_(None), row.adopted_on <= day))


def trained_by_others(period: Period):
    """Members trained in the period by the base, a station, the bureau or a third party: an
    enterprise's own internal training is its own work, not a training the unit gave (WH-2)."""
    return (sa.select(Attendance.enterprise_id)
            .join(TrainingEvent, TrainingEvent.id == Attendance.event_id)
            .where(TrainingEvent.held_on >= period.start, TrainingEvent.held_on <= period.end, given_by_others()))


def _members(period: Period, by_kind: list[tuple[str, int, float]], kept: tuple | None = None) -> dict:
    """The member figures, the training counts (the coverage page's rows: is_trained, all_staff)
    and the visits per member, in one pass over the period's active members — or, for a year
    whose figures are kept (member_figures.py), `kept`: the same values, read with the ledger."""
    # Each member joined once to its training row (per_member), its checklist counts (kept) and its
    # visits, and looked up in the sets of members with a liaison, a recognition, a training by
    # others: the same figures as an EXISTS per member and rule (liaison_on, recognised_enterprise,
    # core_done) and as the coverage and visit pages' own statements (tests compare them), at a
    # fraction of the cost at thousands of members — one statement where there were three.
    (active, with_liaison, demo, adopted, rules, work, leak, five_three, by_others, trained, everyone,
     total, lowest, below) = (int(v) if v is not None else None
                              for v in (kept if kept is not None else db.session.execute(_member_pass(period)).one()))
    # WH-2 over a whole base: the base is the unit ("站点或基地"), the enterprises it serves are
    # its members; a station is scored on its own ledger instead (station_metrics).
    fig = figures(period, (active, trained, everyone), by_kind)
    return {"active_members": active, "members_with_liaison": with_liaison,
            "members_without_liaison": active - with_liaison, "demonstration_units": demo,
            "adopted_standard_members": adopted, "members_with_rules": rules,
            "members_with_rules_ratio": _ratio(rules, active), "protection_work_members": work,
            "protection_work_ratio": _ratio(work, active), "members_with_leak_plan": leak,
            "members_with_leak_plan_ratio": _ratio(leak, active), "five_three_members": five_three,
            "five_three_ratio": _ratio(five_three, active), "served_enterprises": active,
            "served_trained_enterprises": by_others, "served_trained_ratio": _ratio(by_others, active),
            "trained_enterprises": fig.trained, "trained_enterprise_ratio": fig.ratio,
            "never_trained": fig.never_trained, "all_staff_trained_members": fig.all_staff,
            "training_events": fig.events, "publicity_events": fig.publicity_events, "training_hours": fig.hours,
            "visits": total, "visits_per_member": _ratio(total, active), "min_visits_per_member": lowest,
            "members_below_visits": below, "visit_coverage_ratio": _ratio(active - below, active)}


@functools.lru_cache(maxsize=32)
def _member_pass(period: Period):
    """The statement of _members, built once per period: building it (a hundred expressions)
    cost as much as a third of its run at 2,000 members. Statements hold no tenant: the tenant
    scope is added when it runs."""
    day = period.end
    # the active members, with what the training coverage counts and whether they adopted the standard
    m = per_member(period, columns=(Enterprise.adopted_standard, Enterprise.adopted_on))
    items = MemberChecklist  # each member's items in place, counted (checklist_summary.py)
    seen = visits_by_member(period.start, period.end)
    visits = sa.func.coalesce(seen.c.n, 0)
    count = lambda column: sa.func.coalesce(column, 0)  # noqa: E731
    return (sa.select(
        sa.func.count(m.c.id), count_where(m.c.id.in_(liaisons_on(day))),
        count_where(m.c.id.in_(sa.select(Recognition.enterprise_id).where(valid_on(day)))),
        count_where(adopted_by(day, m.c)), count_where(count(items.rules) > 0), count_where(count(items.core) > 0),
        count_where(count(items.leak) > 0), count_where(count(items.core) >= len(CORE_ITEMS)),
        count_where(m.c.by_others > 0),  # trained_by_others
        count_where(is_trained(m)), count_where(all_staff(m)),
        sa.func.coalesce(sa.func.sum(visits), 0), sa.func.min(visits), count_where(visits < VISITS_PER_YEAR),
    ).select_from(m).outerjoin(items, items.enterprise_id == m.c.id)
            .outerjoin(seen, seen.c.enterprise_id == m.c.id))


def _ledger(period: Period, today: date) -> tuple[dict, list[tuple[str, int, float]], tuple | None]:
    """The service ledger, the stations, the team and the plan, the period's training events by
    kind (rows of coverage.figures's `by_kind`) and, for a calendar year, its kept member figures
    (None when the year has no row): one statement."""
    row = db.session.execute(_ledger_statement(period, today)).one()
    kept = None
    if year_of(period) is not None:  # the kept row's year (None: no row), then its figures
        tail, row = row[-len(FIGURES) - 1:], row[:-len(FIGURES) - 1]
        kept = tail[1:] if tail[0] is not None else None
    n = dict(zip(CATEGORIES, (int(v or 0) for v in row[:len(CATEGORIES)])))
    (logs, overdue_logs, overdue_visits, stations, experienced, instructors, protection, team_trainings, materials,
     plans, xc_plans) = row[len(CATEGORIES):len(CATEGORIES) + 11]
    kinds = row[len(CATEGORIES) + 11:]
    by_kind = [(k, int(kinds[2 * i] or 0), float(kinds[2 * i + 1] or 0)) for i, k in enumerate(KINDS)]
    out = {f"service_logs.{c}": n[c] for c in CATEGORIES}
    out.update({"service_logs": logs, "service_categories": sum(1 for v in n.values() if v),
                "complaints": n["complaint"], "guidance_services": n["guidance"],
                "rights_services": n["rights_assistance"] + n["mediation"],
                "overdue_follow_ups": int(overdue_logs) + int(overdue_visits),
                "stations": stations, "max_experienced_staff": int(experienced), "instructors": instructors,
                "protection_staff": protection, "team_trainings": team_trainings, "publicity_materials": materials,
                "plan_exists": plans > 0, "plan_has_xc_targets": xc_plans > 0})
    return out, by_kind, kept


@functools.lru_cache(maxsize=32)
def _ledger_statement(period: Period, today: date):
    """_ledger's statement, built once per period and day (see _member_pass): the period's ledger
    entries counted by category in one pass, beside scalar subqueries — each an index range of its
    own table — where there were five statements, each a round trip and the ORM's work around it."""
    from tenants.plans.models import AnnualPlan  # the plans package reads these metrics too

    logs = (sa.select(*[count_where(ServiceLog.category == c).label(c) for c in CATEGORIES],
                      sa.func.count(ServiceLog.id))
            .where(ServiceLog.served_on >= period.start, ServiceLog.served_on <= period.end).subquery())
    experienced = (sa.select(sa.func.count(StationStaff.id).label("n"))
                   .join(Station, Station.id == StationStaff.station_id)
                   .where(StationStaff.experienced.is_(True), StationStaff.active.is_(True), Station.active.is_(True))
                   .group_by(StationStaff.station_id).subquery())
    team = (sa.select(sa.func.count(TeamActivity.id))
            .where(TeamActivity.held_on >= period.start, TeamActivity.held_on <= period.end))
    plan = sa.select(sa.func.count(AnnualPlan.id)).where(AnnualPlan.year == period.end.year)
    # The period's training events and hours by kind (coverage.figures), in the same pass.
    held = (sa.select(*[c for k in KINDS for c in (count_where(TrainingEvent.kind == k),
                                                   sa.func.sum(sa.case((TrainingEvent.kind == k, TrainingEvent.hours))))])
            .where(TrainingEvent.held_on >= period.start, TrainingEvent.held_on <= period.end).subquery())
    statement = sa.select(
        *logs.c,
        *overdue_counts_select(today).selected_columns,  # the follow-ups page's definition
        sa.select(sa.func.count(Station.id)).where(Station.active.is_(True)).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.max(experienced.c.n), 0)).scalar_subquery(),
        sa.select(sa.func.count(Membership.id)).where(Membership.role == "instructor").scalar_subquery(),
        sa.select(sa.func.count(ProtectionStaff.id)).scalar_subquery(),
        team.where(TeamActivity.kind == "training").scalar_subquery(),
        team.where(TeamActivity.kind == "material").scalar_subquery(),
        plan.scalar_subquery(),
        plan.where(*[getattr(AnnualPlan, name).is_not(None) for name in AnnualPlan.XC_TARGETS]).scalar_subquery(),
        *held.c,
    ).select_from(logs).join(held, sa.true())
    year = year_of(period)
    if year is None:
        return statement
    # A calendar year: its member figures if kept (member_figures.py), else NULLs.
    kept = sa.select(MemberFigures.year, *[getattr(MemberFigures, name) for name in FIGURES]) \
        .where(MemberFigures.year == year).subquery()
    return statement.add_columns(*kept.c).outerjoin(kept, sa.true())


def tenant_metrics(period: Period | None = None, today: date | None = None) -> dict:
    """All tenant metrics of a period (default: this calendar year): 1 SQL statement for a year
    whose member figures are kept (member_figures.py: this year's), 2 for any other
    period, none while the tenant's data has not changed (saas/tenant_cache.py). The caller owns
    the copy."""
    period = period or Period.year(date.today().year)
    today = today or date.today()
    return dict(cached("metrics", (period, today), lambda: _compute(period, today)))


def _compute(period: Period, today: date) -> dict:
    ledger, by_kind, kept = _ledger(period, today)
    out = _members(period, by_kind, kept)
    out.update(ledger)
    return out


def enterprise_metrics(year: int) -> dict[int, dict]:
    """Per active member, the metrics enterprise schemes read — six grouped queries."""
    period = Period.year(year)
    members = db.session.execute(sa.select(Enterprise.id, Enterprise.employees, liaison_on(period.end))
                                 .where(active_on(period.end))).all()
    out = {m.id: {"has_liaison": bool(m[2]), "visits_in_year": 0, "has_fixed_instructor": False,
                  "fixed_instructor_visits": 0, "trainings_in_year": 0,
                  "all_staff_trained": False, "incidents_caused": None, "incidents_suffered": None,
                  **{code: False for code in ITEMS}} for m in members}
    for enterprise_id, code in db.session.execute(sa.select(ChecklistItem.enterprise_id, ChecklistItem.code)
                                                  .where(ChecklistItem.state == "in_place")):
        if enterprise_id in out:
            out[enterprise_id][code] = True
    # CQ-1 item 5: the bureau gives the enterprise a *fixed* instructor (固定的指导员), who guides it
    # at least twice a year. Fixed = an instructor of the tenant given this member (InstructorEnterprise);
    # a visit counts for it when that instructor made it.
    by_fixed = sa.exists().where(
        VisitInstructor.tenant_id == GuidanceVisit.tenant_id, VisitInstructor.visit_id == GuidanceVisit.id,
        InstructorEnterprise.tenant_id == GuidanceVisit.tenant_id,
        InstructorEnterprise.user_id == VisitInstructor.user_id,
        InstructorEnterprise.enterprise_id == GuidanceVisit.enterprise_id)
    for enterprise_id, n, fixed in db.session.execute(
            sa.select(GuidanceVisit.enterprise_id, sa.func.count(GuidanceVisit.id),
                      count_where(by_fixed))
            .where(GuidanceVisit.visited_on >= period.start, GuidanceVisit.visited_on <= period.end)
            .group_by(GuidanceVisit.enterprise_id)):
        if enterprise_id in out:
            out[enterprise_id]["visits_in_year"], out[enterprise_id]["fixed_instructor_visits"] = n, int(fixed)
    for (enterprise_id,) in db.session.execute(
            sa.select(InstructorEnterprise.enterprise_id).distinct()
            .join(Membership, sa.and_(Membership.user_id == InstructorEnterprise.user_id,
                                      Membership.role == "instructor"))):
        if enterprise_id in out:
            out[enterprise_id]["has_fixed_instructor"] = True
    from tenants.training.coverage import all_staff, per_member

    m = per_member(period)  # all staff: distinct people trained, never a sum of headcounts
    for enterprise_id, all_trained, events in db.session.execute(sa.select(m.c.id, all_staff(m), m.c.events)):
        if enterprise_id in out:
            out[enterprise_id]["trainings_in_year"] = events
            out[enterprise_id]["all_staff_trained"] = bool(all_trained)
    latest = (sa.select(SurveyYear.enterprise_id, sa.func.max(SurveyYear.year).label("year"))
              .where(SurveyYear.year <= year).group_by(SurveyYear.enterprise_id).subquery())
    for enterprise_id, caused, suffered in db.session.execute(
            sa.select(SurveyYear.enterprise_id, SurveyYear.incidents_caused, SurveyYear.incidents_suffered)
            .join(latest, sa.and_(latest.c.enterprise_id == SurveyYear.enterprise_id, latest.c.year == SurveyYear.year))):
        if enterprise_id in out:
            out[enterprise_id]["incidents_caused"], out[enterprise_id]["incidents_suffered"] = caused, suffered
    return out


def station_metrics(station_id: int, year: int) -> dict:
    """WH-2 scored per station, not tenant-wide: its own staff, and the enterprises it serves —
    active members with an entry in its service ledger that year. Trained counts only training
    the base, a station, the bureau or a third party gave (an enterprise's own internal
    training is its own work, not the station's). The names are the tenant metrics' names, so
    the wh-station scheme reads either (served_* over a base: its members)."""
    period = Period.year(year)
    served = (sa.select(ServiceLog.enterprise_id).distinct()
              .where(ServiceLog.station_id == station_id, ServiceLog.enterprise_id.is_not(None),
                     ServiceLog.served_on >= period.start, ServiceLog.served_on <= period.end))
    trained = trained_by_others(period)
    work = sa.exists().where(ChecklistItem.tenant_id == Enterprise.tenant_id, ChecklistItem.enterprise_id == Enterprise.id,
                             ChecklistItem.code.in_(CORE_ITEMS), ChecklistItem.state == "in_place")
    row = db.session.execute(sa.select(
        sa.func.count(Enterprise.id), count_where(Enterprise.id.in_(trained)), count_where(work),
        count_where(recognised_enterprise(period.end)),
    ).where(active_on(period.end), Enterprise.id.in_(served))).one()
    served_n, trained_n, work_n, demo = (int(v) for v in row)
    staff, active = db.session.execute(sa.select(
        sa.select(sa.func.count(StationStaff.id)).where(
            StationStaff.station_id == station_id, StationStaff.experienced.is_(True),
            StationStaff.active.is_(True)).scalar_subquery(),
        sa.select(Station.active).where(Station.id == station_id).scalar_subquery())).one()
    tenant, _by_kind, _kept = _ledger(period, date.today())  # the plan and the instructors are the tenant's
    return {"stations": 1 if active else 0, "max_experienced_staff": int(staff or 0),
            "served_enterprises": served_n, "trained_enterprises": trained_n,
            "trained_enterprise_ratio": _ratio(trained_n, served_n), "served_trained_enterprises": trained_n,
            "served_trained_ratio": _ratio(trained_n, served_n), "protection_work_members": work_n,
            "protection_work_ratio": _ratio(work_n, served_n), "demonstration_units": demo,
            "plan_exists": tenant["plan_exists"], "instructors": tenant["instructors"]}


from . import member_figures  # noqa: E402,F401  (its listeners keep the rows read above; it reads _member_pass)
