"""What waits for whom, in order: the base's to-do block and first-run checklist (from the
dashboard's metrics, no statement of their own), and an enterprise user's to-do list.

Every count here is the figure of the page its link opens (tenants/metrics/service.LINKS,
tenants/stations/followups.py, the same query functions): tests/test_linked_counts.py follows
each link and compares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _

from saas.auth.permissions import can_open
from saas.extensions import db
from tenants.metrics.labels import metric_url

OVERDUE, DUE, WAITING = "overdue", "due", "waiting"  # the order a to-do list is read in
ORDER = {OVERDUE: 0, DUE: 1, WAITING: 2}


@dataclass(frozen=True)
class Todo:
    kind: str  # overdue / due / waiting
    text: str
    url: str | None
    count: int | None = None
    day: date | None = None
    key: str = ""  # a stable name for tests and the page (data-todo)


def ordered(items: list[Todo]) -> list[Todo]:
    return sorted(items, key=lambda t: (ORDER[t.kind], t.day or date.max))


def _link(endpoint: str, **args) -> str | None:
    return url_for(endpoint, **args) if can_open(endpoint) else None


# -- A base (admin, staff): the first-run checklist and the to-do block -------------------------

@dataclass(frozen=True)
class Step:
    key: str
    text: str
    done: bool
    links: tuple[tuple[str, str], ...]  # (label, url) the role may open


def first_run(metrics: dict, year: int) -> list[Step]:
    """A new base's first steps, ticked from its data (never from clicks): members, a guidance
    station, instructors, the year's plan. Empty when every step is done (the block goes)."""
    def links(*pairs):
        return tuple((label, url) for label, url in ((label, _link(ep, **args)) for label, ep, args in pairs) if url)

    steps = [
        Step("members", _("Add the member enterprises"), metrics["active_members"] > 0,
             links((_("Add one"), "members.edit", {}), (_("Import a list"), "members.import_roster", {}))),
        Step("station", _("Set up the guidance station"), metrics["stations"] > 0,
             links((_("Set up"), "stations.edit", {}),)),
        Step("instructors", _("Assign instructors"), metrics["instructors"] > 0,
             links((_("Assign"), "visits.instructors", {}),)),
        Step("plan", _("Write the annual work plan %(year)d", year=year), bool(metrics["plan_exists"]),
             links((_("Write"), "plans.edit", {"year": year}),)),
    ]
    return [] if all(s.done for s in steps) else steps


def base_todo(metrics: dict, year: int, next_due, plan: bool = True) -> list[Todo]:
    """Overdue, then due, then waiting: each a figure of the metrics with the page behind it.
    `plan`: whether a missing plan is a to-do here (an admin has it among the first-run steps)."""
    items: list[Todo] = []

    def add(kind, name, text, day=None):
        n = metrics[name]
        if n:
            items.append(Todo(kind, text % {"n": n}, metric_url(name, year), n, day, name))

    add(OVERDUE, "overdue_follow_ups", _("%(n)d follow-ups are overdue."))
    if next_due is not None:
        items.append(Todo(DUE, next_due.title, url_for("deadlines.index"), None, next_due.end, "milestone"))
    if plan and not metrics["plan_exists"]:
        items.append(Todo(DUE, _("No plan for %(year)d yet.", year=year), _link("plans.show", year=year), None,
                          None, "plan"))
    add(WAITING, "members_below_visits", _("%(n)d members have fewer than two guidance visits this year."))
    add(WAITING, "never_trained", _("%(n)d members not trained this year"))
    add(WAITING, "members_without_liaison", _("%(n)d members without a liaison person"))
    return ordered(items)


# -- An enterprise user ------------------------------------------------------------------------

def enterprise_todo(enterprise_id: int, today: date, guidance=()) -> list[Todo]:
    """An enterprise user's own to-dos, each linked to the page that shows the same rows:
    overdue rectifications, questionnaires to answer, visits to acknowledge, the checklist's
    five-plus-three items not in place, the year's survey figures, the year's training, and the
    base's guidance not read yet (`guidance`: guidance.services.latest_for's rows)."""
    from tenants.members.checklists import CORE_ITEMS
    from tenants.members.models import ChecklistItem, SurveyYear
    from tenants.surveys.services import open_for
    from tenants.training.coverage import Period, member_rows
    from tenants.visits.models import GuidanceVisit

    from tenants.stations.followups import visit_overdue

    items: list[Todo] = []
    for v in db.session.scalars(sa.select(GuidanceVisit).where(GuidanceVisit.enterprise_id == enterprise_id,
                                                               visit_overdue(today))
                                .order_by(GuidanceVisit.follow_up_due)):
        items.append(Todo(OVERDUE, _("Rectification after the visit of %(date)s is overdue",
                                     date=format_date(v.visited_on, "medium")),
                          _link("visits.show", visit_id=v.id), None, v.follow_up_due, "rectification"))
    for a, r in open_for(enterprise_id, today):
        items.append(Todo(DUE, _("Answer the questionnaire: %(title)s", title=r.title),
                          _link("surveys.answer", survey_answer_id=a.id), None, r.open_until, "survey"))
    for v in db.session.scalars(sa.select(GuidanceVisit).where(GuidanceVisit.enterprise_id == enterprise_id,
                                                               GuidanceVisit.acknowledged_at.is_(None))
                                .order_by(GuidanceVisit.visited_on)):
        items.append(Todo(WAITING, _("Acknowledge the guidance visit of %(date)s",
                                     date=format_date(v.visited_on, "medium")),
                          _link("visits.show", visit_id=v.id), None, None, "acknowledge"))
    core = db.session.scalar(sa.select(sa.func.count(ChecklistItem.id)).where(
        ChecklistItem.enterprise_id == enterprise_id, ChecklistItem.code.in_(CORE_ITEMS),
        ChecklistItem.state == "in_place"))
    if core < len(CORE_ITEMS):  # the roster's x/8 and the enterprise page's, one definition
        items.append(Todo(WAITING, _("%(n)d of the five implementations and three defences not in place yet",
                                     n=len(CORE_ITEMS) - core),
                          _link("members.show", enterprise_id=enterprise_id), len(CORE_ITEMS) - core, None,
                          "checklist"))
    year = today.year  # the year's baseline survey (TJ-3): the figures the base's reports read
    if db.session.scalar(sa.select(SurveyYear.id).where(SurveyYear.enterprise_id == enterprise_id,
                                                        SurveyYear.year == year)) is None:
        items.append(Todo(WAITING, _("Fill in the survey figures for %(year)d", year=year),
                          _link("members.edit_survey", enterprise_id=enterprise_id, year=year), None, None,
                          "figures"))
    row = db.session.execute(member_rows(Period.year(today.year), enterprise_id=enterprise_id)).first()
    if row is None or not row.events:
        items.append(Todo(WAITING, _("No training logged for %(year)d yet", year=today.year),
                          _link("training.edit"), None, None, "training"))
    for p, read in guidance:
        if not read:
            items.append(Todo(WAITING, _("Read: %(title)s", title=p.title), _link("guidance.show", publication_id=p.id),
                              None, None, "guidance"))
    return ordered(items)
