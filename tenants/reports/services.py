"""Periodic reports: draft from the period's figures, edit the narrative, submit (freeze), and the
bureau's answer (accept, or return with comments).

Every figure comes from `tenant_metrics(Period(start, end))` for the report's own period — read,
never computed here. While a report is editable its figures are live; each submission freezes
the whole report (sections, figures, plan progress, notable cases and the period) into a
snapshot, kept per version. Moves are compare-and-set, so a double submit submits once.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import g
from flask_babel import format_date, gettext as _, lazy_gettext as _l

from saas.auth.models import Membership, User
from saas.extensions import db
from saas.links import public_url
from saas.notifications import notify
from saas.templating import locale_code
from saas.tenancy import Bureau, Tenant, utcnow
from tenants.members.models import Enterprise
from tenants.metrics.labels import fmt, label
from tenants.metrics.service import tenant_metrics
from tenants.plans.services import YEARS, plan_for, progress
from tenants.recognition.models import Recognition
from tenants.schemes.standards import REPORT_TYPES, ReportType, standard_of
from tenants.stations.forms import CATEGORY_LABELS
from tenants.stations.models import CATEGORIES, ServiceLog, Station
from tenants.training.coverage import Period

from .models import EDITABLE, PeriodicReport, ReportEvent, ReportVersion

SECTION_TITLES = {
    "progress": _l("Progress of the work"), "measures": _l("Main measures and innovations"),
    "problems": _l("Problems and suggestions"), "next_steps": _l("Next steps"),
    "needs": _l("Needs of the region or sector for trade secret protection"),
    "advantages": _l("Industrial advantages"), "compliance": _l("Compliance with the base's standard"),
    "duties": _l("Duties performed"), "plan_done": _l("Implementation of the annual work plan"),
    "training_publicity": _l("Training and legal publicity"),
    "exchange": _l("Work status, typical cases and exchange with the bureau"),
}
SECTION_MAX = 20000
# The figure tables of every report: (title, metric names), all read from tenant_metrics.
FIGURE_GROUPS = (
    (_l("Members and liaison"), ("active_members", "members_with_liaison", "members_without_liaison",
                                 "adopted_standard_members", "members_with_rules", "members_with_rules_ratio",
                                 "five_three_members", "five_three_ratio")),
    (_l("Training coverage"), ("trained_enterprises", "trained_enterprise_ratio", "never_trained",
                               "all_staff_trained_members", "training_events", "publicity_events", "training_hours")),
    (_l("Guidance visits"), ("visits", "visits_per_member", "members_below_visits", "visit_coverage_ratio")),
    (_l("Service ledger by category"), ("service_logs", *[f"service_logs.{c}" for c in CATEGORIES], "complaints",
                                        "rights_services", "overdue_follow_ups")),
    (_l("Demonstration units and organisation"), ("demonstration_units", "stations", "instructors",
                                                  "protection_staff", "team_trainings", "publicity_materials")),
)
# Ledger entries worth naming in a report: complaints, rights-protection help, mediation.
NOTABLE = ("complaint", "rights_assistance", "mediation")
NOTABLE_MAX = 50


class ReportError(ValueError):
    """The message is for the user; `conflict` marks a double submission or a stale move."""

    def __init__(self, message: str, conflict: bool = False):
        super().__init__(message)
        self.conflict = conflict


def status_labels() -> dict:
    return {"draft": _("Draft"), "submitted": _("Submitted, waiting for the bureau"),
            "returned": _("Returned for revision"), "accepted": _("Accepted"),
            "not_started": _("Not started"), "overdue": _("Overdue")}


def kind_title(key: str) -> str:
    kind = REPORT_TYPES.get(key)
    return str(kind.title) if kind is not None else key


def section_title(code: str) -> str:
    return str(SECTION_TITLES.get(code, code))


def kinds_of(tenant: Tenant) -> tuple[ReportType, ...]:
    return standard_of(tenant).reports


def period_of(report: PeriodicReport) -> Period:
    return Period(report.period_start, report.period_end)


# --- the report as plain values ---------------------------------------------------------------------

def figures(metrics: dict) -> list[dict]:
    """The figure tables: each figure's raw value (as the metrics service gave it) and its text."""
    return [{"title": str(title), "rows": [{"name": n, "label": label(n), "value": metrics[n],
                                           "display": fmt(metrics[n], n)} for n in names]}
            for title, names in FIGURE_GROUPS]


def _plan(year: int, metrics: dict) -> list[dict]:
    plan = plan_for(year)
    if plan is None:
        return []
    return [{"name": r.name, "metric": r.metric, "target": f"{r.target:g}{r.unit}",
             "actual": f"{r.actual:g}{r.unit}" if r.actual is not None else "—", "reached": r.reached}
            for r in progress(plan, metrics)]


def _cases(period: Period) -> dict:
    """Notable cases of the period: complaints and rights-protection entries of the ledger, and
    the demonstration units recognised in it (names and facts only, as the ledger keeps them)."""
    logs = db.session.execute(
        sa.select(ServiceLog.served_on, ServiceLog.category, ServiceLog.case_status, ServiceLog.summary,
                  ServiceLog.outcome, ServiceLog.non_member, Enterprise.name, Station.name)
        .outerjoin(Enterprise, Enterprise.id == ServiceLog.enterprise_id)
        .join(Station, Station.id == ServiceLog.station_id)
        .where(ServiceLog.served_on >= period.start, ServiceLog.served_on <= period.end,
               ServiceLog.category.in_(NOTABLE))
        .order_by(ServiceLog.served_on, ServiceLog.id).limit(NOTABLE_MAX)).all()
    units = db.session.execute(
        sa.select(Recognition.recognised_on, Recognition.certificate_no, Recognition.issued_by,
                  sa.func.coalesce(Enterprise.name, Station.name))
        .outerjoin(Enterprise, Enterprise.id == Recognition.enterprise_id)
        .outerjoin(Station, Station.id == Recognition.station_id)
        .where(Recognition.recognised_on >= period.start, Recognition.recognised_on <= period.end)
        .order_by(Recognition.recognised_on, Recognition.id).limit(NOTABLE_MAX)).all()
    return {"services": [{"day": r[0].isoformat(), "category": str(CATEGORY_LABELS.get(r[1], r[1])),
                          "status": r[2] or "", "summary": r[3] or "", "outcome": r[4] or "",
                          "who": r[6] or r[5] or "", "station": r[7]} for r in logs],
            "recognitions": [{"day": r[0].isoformat(), "certificate_no": r[1], "issued_by": r[2], "unit": r[3] or ""}
                             for r in units]}


def build(report: PeriodicReport, tenant: Tenant) -> dict:
    """The whole report from live data, as JSON values only: the page shows it, the PDF and
    DOCX render it, a submission freezes it."""
    period = period_of(report)
    metrics = tenant_metrics(period)
    kind = REPORT_TYPES.get(report.kind)
    codes = kind.sections if kind is not None else tuple((report.sections or {}).keys())
    return {
        "generated_at": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "kind": report.kind, "title": kind_title(report.kind), "source": kind.source if kind else "",
        "year": report.year,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "due_on": report.due_on.isoformat() if report.due_on else "",
        "tenant": {"name": tenant.name, "region": tenant.region, "bureau": tenant.bureau.name if tenant.bureau else ""},
        "sections": [{"code": c, "title": section_title(c), "text": (report.sections or {}).get(c, "")} for c in codes],
        "figures": figures(metrics),
        "plan": _plan(period.end.year, metrics),
        "cases": _cases(period),
        "locale": locale_code(),
    }


def draft_text(kind: ReportType, period: Period, metrics: dict) -> dict:
    """The narrative as the app drafts it from the figures: a first paragraph per section for
    the base to correct and complete (the figure tables stay live beside it)."""
    m = {n: fmt(metrics[n], n) for n in metrics}
    facts = _("From %(start)s to %(end)s the base had %(members)s member enterprises, %(liaison)s of them with a "
              "liaison person; %(trained)s enterprises were trained (%(ratio)s) in %(events)s training and publicity "
              "events, including %(publicity)s legal publicity events; instructors made %(visits)s guidance visits; "
              "the guidance stations logged %(services)s services, including %(complaints)s complaints; "
              "%(units)s members are recognised demonstration units.",
              start=format_date(period.start, "long"), end=format_date(period.end, "long"), members=m["active_members"],
              liaison=m["members_with_liaison"], trained=m["trained_enterprises"],
              ratio=m["trained_enterprise_ratio"], events=m["training_events"], publicity=m["publicity_events"],
              visits=m["visits"], services=m["service_logs"], complaints=m["complaints"],
              units=m["demonstration_units"])
    first = {"progress", "compliance", "plan_done"}
    texts = {c: (facts if c in first else "") for c in kind.sections}
    if "training_publicity" in texts:
        texts["training_publicity"] = _("%(events)s training and publicity events (%(hours)s hours), %(publicity)s of "
                                        "them legal publicity; %(trained)s member enterprises trained (%(ratio)s).",
                                        events=m["training_events"], hours=m["training_hours"],
                                        publicity=m["publicity_events"], trained=m["trained_enterprises"],
                                        ratio=m["trained_enterprise_ratio"])
    return texts


# --- the life of a report ---------------------------------------------------------------------------

def start(tenant: Tenant, key: str, year: int) -> PeriodicReport:
    """The report of a type of the tenant's standards for a year, drafted from the period's
    figures; the existing one when it was started already."""
    kind = next((k for k in kinds_of(tenant) if k.key == key), None)
    if kind is None:
        raise ReportError(_("Choose a report of the base's standards."))
    if year not in YEARS:
        raise ReportError(_("Year: choose a year from %(first)d to %(last)d.", first=YEARS[0], last=YEARS[-1]))
    existing = db.session.scalar(sa.select(PeriodicReport).where(PeriodicReport.kind == key,
                                                                 PeriodicReport.year == year))
    if existing is not None:
        return existing
    period = Period(*kind.period(year))
    report = PeriodicReport(kind=key, year=year, period_start=period.start, period_end=period.end,
                            due_on=kind.due_on(year), status="draft",
                            sections=draft_text(kind, period, tenant_metrics(period)))
    db.session.add(report)
    db.session.flush()
    return report


def _claim(report: PeriodicReport, version: int) -> bool:
    """Compare-and-set of an edit: matches only while the report is editable at `version`, and
    holds the row until the commit, so no submission comes between the check and the write."""
    result = db.session.execute(sa.update(PeriodicReport).where(
        PeriodicReport.id == report.id, PeriodicReport.status.in_(EDITABLE), PeriodicReport.version == version)
        .values(status=PeriodicReport.status).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _move(report: PeriodicReport, old_states, new: str) -> bool:
    """Compare-and-set: of two concurrent requests, one moves the report."""
    result = db.session.execute(sa.update(PeriodicReport).where(
        PeriodicReport.id == report.id, PeriodicReport.status.in_(old_states)).values(status=new)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def save_sections(report: PeriodicReport, texts: dict, version: int | None = None) -> None:
    if not report.editable:
        raise ReportError(_("A submitted report cannot be edited."), conflict=True)
    if not _claim(report, report.version if version is None else version):
        raise ReportError(_("This report was submitted after you opened it: your changes were not saved."),
                          conflict=True)
    db.session.refresh(report)
    old = dict(report.sections or {})
    report.sections = {c: (texts.get(c) if texts.get(c) is not None else old[c]).strip()[:SECTION_MAX] for c in old}


def empty_sections(data: dict) -> list[str]:
    return [s["title"] for s in data["sections"] if not (s["text"] or "").strip()]


def _admins() -> list[User]:
    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id)
                                   .where(Membership.role == "admin", User.active.is_(True))))


def reviewers_of(tenant: Tenant) -> list[User]:
    """The reviewers who decide a tenant's reports: its bureau's and those of the bureaus above."""
    ids, bureau, seen = [], tenant.bureau, set()
    while bureau is not None and bureau.id not in seen:
        seen.add(bureau.id)
        ids.append(bureau.id)
        bureau = db.session.get(Bureau, bureau.parent_id) if bureau.parent_id else None
    if not ids:
        return []
    return list(db.session.scalars(sa.select(User).where(User.bureau_id.in_(ids), User.bureau_role == "reviewer",
                                                         User.active.is_(True))))


def _link(report: PeriodicReport) -> str:
    return public_url("reports.show", tenant_slug=g.tenant.slug, report_id=report.id) \
        if g.get("tenant") is not None else ""


def _record(report: PeriodicReport, old: str, new: str, user_id: int | None, comment: str = "") -> None:
    db.session.add(ReportEvent(report_id=report.id, from_status=old, to_status=new, user_id=user_id, comment=comment))


def submit(report: PeriodicReport, user: User, tenant: Tenant) -> ReportVersion:
    """Freeze the report (sections, figures, the period) and send it to the bureau; a second
    submit is refused. The move first, the snapshot after it from the row as the move found it."""
    if not report.editable:
        raise ReportError(_("This report is already submitted."), conflict=True)
    old = report.status
    if not _move(report, EDITABLE, "submitted"):
        raise ReportError(_("This report is already submitted."), conflict=True)
    db.session.refresh(report)
    data = build(report, tenant)
    empty = empty_sections(data)
    if empty:
        raise ReportError(_("The section “%(title)s” is empty.", title=empty[0]))
    now = utcnow()
    report.version += 1
    data["version"] = report.version
    data["submitted_at"] = now.strftime("%Y-%m-%d %H:%M")
    data["submitted_by"] = user.name
    report.snapshot = data
    report.submitted_by_id, report.submitted_at = user.id, now
    report.first_submitted_at = report.first_submitted_at or now
    report.decided_at, report.decided_by_id = None, None
    report.pdf_sha256 = ""
    version = ReportVersion(report_id=report.id, version=report.version, snapshot=data)
    db.session.add(version)
    _record(report, old, "submitted", user.id)
    notify(reviewers_of(tenant), _("%(tenant)s submitted its %(report)s %(year)d",
                                   tenant=tenant.name, report=kind_title(report.kind), year=report.year), _link(report),
           kind="report")
    return version


def decide(report: PeriodicReport, outcome: str, comment: str, user: User) -> None:
    """The bureau accepts the submitted report, or returns it with its comments (required)."""
    comment = (comment or "").strip()[:SECTION_MAX]
    if outcome not in ("accepted", "returned"):
        raise ReportError(_("Choose to accept or to return the report."))
    if outcome == "returned" and not comment:
        raise ReportError(_("Say what the base should revise: a comment is required to return a report."))
    if not _move(report, ("submitted",), outcome):
        raise ReportError(_("This report is not waiting for the bureau any more."), conflict=True)
    db.session.refresh(report)
    report.decided_at, report.decided_by_id, report.bureau_comment = utcnow(), user.id, comment
    _record(report, "submitted", outcome, user.id, comment)
    text = _("Your %(report)s %(year)d was accepted by the bureau", report=kind_title(report.kind), year=report.year) \
        if outcome == "accepted" else \
        _("Your %(report)s %(year)d was returned by the bureau: %(comment)s", report=kind_title(report.kind),
          year=report.year, comment=comment)
    notify(_admins(), text, _link(report), kind="report")


def overdue(report: PeriodicReport | None, due_on: date | None, today: date) -> bool:
    """Its due date passed and it was never submitted (a returned report was received once)."""
    if due_on is None or today <= due_on:
        return False
    return report is None or report.first_submitted_at is None


def due_reports(tenant: Tenant, today: date) -> list[tuple[ReportType, int]]:
    """(type, report year) of the tenant's standards whose due date has passed by today, this
    year's and last year's (TJ-6 reports last year's work), never of a year before the tenant
    came to the platform."""
    out = []
    for kind in kinds_of(tenant):
        for year in (today.year - 2, today.year - 1, today.year):
            if tenant.created_at is not None and year < tenant.created_at.year:
                continue
            due_on = kind.due_on(year)
            if due_on is not None and due_on < today and due_on.year >= today.year - 1:
                out.append((kind, year))
    return out
