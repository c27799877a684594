"""What a reviewer's workbench lists, as SQL: one SELECT per kind of work item, all with the
same columns, put together with UNION ALL so that a page, its order and the counts of the three
tabs are each one statement, whatever the size of the jurisdiction.

Kinds of item (the `kind` column):
- application: a base's application (its stage: `status`);
- objection: an objection received during the public notice and not yet resolved;
- rereview: a recognised base whose re-review (CQ-3) or evaluation (XC-2) falls due;
- unit: a unit's application (enterprise, station, point) recommended by the park;
- unit_rereview: a unit's recognition whose term ends (tenants.recognition.services.due);
- recognition: a unit's recognition the reviewer renewed or revoked (the "done" tab only);
- referral: a complaint a station referred to the bureau (LC-3, tenants.referrals): open ones
  wait for the reviewers of the bureau it was sent to; done once the reviewer moved it;
- report: a base's periodic report (CQ-4, TJ-6, XC-2; tenants.reports) submitted and waiting
  for any reviewer of the jurisdiction (the tenant's bureau or one above it) to accept or return
  it; done once the reviewer decided it. Its `scheme` column holds the report's type.

Who waits for whom comes from the review chain's one table (applications.services.TRANSITIONS):
the district steps wait for the reviewers of the tenant's own bureau, the city steps for the
reviewers of a city or province bureau above it; unit decisions for any reviewer of the
jurisdiction (units.decide).

Every column is a date, a number or a string on both databases: the time a thing happened is
read as its day (`date(...)`), which is what "days waiting" counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from saas.tenancy import Bureau, Tenant
from tenants.applications.models import Application, ApplicationEvent, Objection
from tenants.applications.services import TRANSITIONS
from tenants.members.models import Enterprise
from tenants.recognition.models import Recognition, RecognitionEvent, UnitApplication
from tenants.recognition.services import SOON, due
from tenants.referrals.models import OPEN as REFERRAL_OPEN, Referral, ReferralEvent
from tenants.reports.models import PeriodicReport, ReportEvent
from tenants.stations.models import Station

TABS = ("todo", "done", "all")
KINDS = ("application", "objection", "rereview", "unit", "unit_rereview", "recognition", "referral", "report")
# The units the bureau has had a say on (a unit application waiting for the park is not its work).
UNIT_AT_BUREAU = ("recommended", "recognised", "refused")
# Stages of the filter → the kinds (and their statuses; None: all of them) each one takes in.
STAGES = {
    "district_review": {"application": ("submitted", "district_review")},
    "city_review": {"application": ("recommended", "city_review")},
    "public_notice": {"application": ("public_notice",), "objection": None},
    "returned": {"application": ("returned",)},
    "unit_decision": {"unit": ("recommended",)},
    "rereview": {"rereview": None, "unit_rereview": None},
    "referral": {"referral": REFERRAL_OPEN},
    "report": {"report": ("submitted",)},
    "decided": {"application": ("recognised", "rejected", "revoked", "lapsed"), "unit": ("recognised", "refused"),
                "recognition": None, "referral": ("closed", "declined")},
}


def waiting_statuses(who: str) -> tuple[str, ...]:
    """The application statuses from which `who` ("district" or "city") takes the next step.
    Not "recognised": revoking is not a decision anyone waits for; the re-review item is."""
    return tuple(sorted({old for (old, _new), by in TRANSITIONS.items() if by == who and old != "recognised"}))


@dataclass(frozen=True)
class Filters:
    scheme: str = ""
    year: int | None = None
    bureau_ids: tuple[int, ...] | None = None  # a district (with the bureaus below it); None: all
    stage: str = ""


@dataclass(frozen=True)
class Reviewer:
    user_id: int
    bureau_id: int
    city: bool  # a city or province bureau: takes the city steps of the whole jurisdiction
    bureau_ids: tuple[int, ...]  # the jurisdiction


def _day(column):
    return sa.func.date(column)


def _columns(kind, item_id, link_id, unit_name, scheme, year, status, since, deadline, closes=None):
    return (sa.literal_column(f"'{kind}'").label("kind"), item_id.label("item_id"), link_id.label("link_id"),
            Tenant.id.label("tenant_id"), Tenant.slug.label("slug"), Tenant.name.label("tenant_name"),
            (unit_name if unit_name is not None else sa.cast(sa.null(), sa.String)).label("unit_name"),
            scheme.label("scheme"), year.label("year"), status.label("status"),
            sa.type_coerce(since if since is not None else sa.null(), sa.Date).label("since"),
            sa.type_coerce(deadline if deadline is not None else sa.null(), sa.Date).label("deadline"),
            (closes if closes is not None else sa.cast(sa.null(), sa.String)).label("closes"))


def _last_event(user_id: int | None = None):
    """The day of the application's last event (by `user_id` when given)."""
    select = sa.select(sa.func.max(ApplicationEvent.created_at)).where(
        ApplicationEvent.tenant_id == Application.tenant_id, ApplicationEvent.application_id == Application.id)
    if user_id is not None:
        select = select.where(ApplicationEvent.user_id == user_id)
    return _day(select.scalar_subquery())


def _application_deadline():
    """The notice's last day during the notice; the re-review's day once recognised."""
    return sa.case((Application.status == "public_notice", Application.notice_end),
                   (Application.status == "recognised",
                    sa.func.coalesce(Application.rereview_due, Application.valid_until)))


def _unit_name():
    return sa.func.coalesce(Enterprise.name, Station.name)


def _in_jurisdiction(select, who: Reviewer, filters: Filters):
    select = select.where(Tenant.bureau_id.in_(who.bureau_ids), Tenant.status == "active")
    if filters.bureau_ids is not None:
        select = select.where(Tenant.bureau_id.in_(filters.bureau_ids))
    return select


def _application(tab: str, who: Reviewer):
    """Base applications: waiting for this reviewer (todo), acted on (done), all but drafts."""
    if tab == "done":
        mine = sa.or_(sa.exists().where(ApplicationEvent.tenant_id == Application.tenant_id,
                                        ApplicationEvent.application_id == Application.id,
                                        ApplicationEvent.user_id == who.user_id),
                      sa.exists().where(Objection.tenant_id == Application.tenant_id,
                                        Objection.application_id == Application.id,
                                        Objection.resolved_by_id == who.user_id))
        since = _last_event(who.user_id)
    else:
        since = sa.func.coalesce(_last_event(), _day(Application.submitted_at), _day(Application.created_at))
    select = (sa.select(*_columns("application", Application.id, Application.id, None, Application.scheme,
                                  Application.year, Application.status, since, _application_deadline(),
                                  Bureau.application_closes))
              .join(Tenant, Tenant.id == Application.tenant_id)
              .outerjoin(Bureau, Bureau.id == Tenant.bureau_id))
    if tab == "todo":
        waiting = sa.and_(Tenant.bureau_id == who.bureau_id, Application.status.in_(waiting_statuses("district")))
        if who.city:
            waiting = sa.or_(waiting, Application.status.in_(waiting_statuses("city")))
        return select.where(waiting)
    if tab == "done":
        return select.where(mine)
    return select.where(Application.status != "draft")


def _objection(tab: str, who: Reviewer):
    """Unresolved objections of applications in public notice: the city's to resolve."""
    if tab != "todo" or not who.city:
        return None
    return (sa.select(*_columns("objection", Objection.id, Application.id, None, Application.scheme, Application.year,
                                Application.status, Objection.received_on, Application.notice_end))
            .join(Application, sa.and_(Application.tenant_id == Objection.tenant_id,
                                       Application.id == Objection.application_id))
            .join(Tenant, Tenant.id == Objection.tenant_id)
            .where(Objection.resolved_on.is_(None), Application.status == "public_notice"))


def _rereview(tab: str, who: Reviewer, today: date):
    """Recognised bases whose re-review falls due within SOON (or is past due): the city's."""
    if tab != "todo" or not who.city:
        return None
    due_on = sa.func.coalesce(Application.rereview_due, Application.valid_until)
    return (sa.select(*_columns("rereview", Application.id, Application.id, None, Application.scheme,
                                Application.year, Application.status, None, due_on))
            .join(Tenant, Tenant.id == Application.tenant_id)
            .where(Application.status == "recognised", due_on.is_not(None), due_on <= today + SOON))


def _unit(tab: str, who: Reviewer):
    """Unit applications recommended by the park (todo), decided by this reviewer (done), or
    any the bureau has had a say on (all)."""
    since = _day(sa.func.coalesce(UnitApplication.decided_at, UnitApplication.recommended_at,
                                  UnitApplication.submitted_at, UnitApplication.created_at))
    select = (sa.select(*_columns("unit", UnitApplication.id, UnitApplication.id, _unit_name(),
                                  UnitApplication.scheme, UnitApplication.year, UnitApplication.status, since, None))
              .join(Tenant, Tenant.id == UnitApplication.tenant_id)
              .outerjoin(Enterprise, sa.and_(Enterprise.tenant_id == UnitApplication.tenant_id,
                                             Enterprise.id == UnitApplication.enterprise_id))
              .outerjoin(Station, sa.and_(Station.tenant_id == UnitApplication.tenant_id,
                                          Station.id == UnitApplication.station_id)))
    if tab == "todo":
        return select.where(UnitApplication.status == "recommended")
    if tab == "done":
        return select.where(UnitApplication.decided_by_id == who.user_id)
    return select.where(UnitApplication.status.in_(UNIT_AT_BUREAU))


def _recognitions(select):
    return (select.join(Tenant, Tenant.id == Recognition.tenant_id)
            .outerjoin(Enterprise, sa.and_(Enterprise.tenant_id == Recognition.tenant_id,
                                           Enterprise.id == Recognition.enterprise_id))
            .outerjoin(Station, sa.and_(Station.tenant_id == Recognition.tenant_id,
                                        Station.id == Recognition.station_id)))


def _unit_rereview(tab: str, who: Reviewer, today: date):
    """Unit recognitions due a re-review or evaluation (the units page's own definition)."""
    if tab != "todo":
        return None
    year = sa.cast(sa.extract("year", Recognition.valid_until), sa.Integer)
    return _recognitions(sa.select(*_columns("unit_rereview", Recognition.id, Recognition.id, _unit_name(),
                                             Recognition.scheme, year, sa.literal_column("'due'"), None,
                                             Recognition.valid_until))
                         .where(due(today).whereclause))


def _recognition(tab: str, who: Reviewer):
    """Unit recognitions this reviewer renewed or revoked (done)."""
    if tab != "done":
        return None
    event = aliased(RecognitionEvent)
    acted = (sa.select(sa.func.max(event.happened_on))
             .where(event.tenant_id == Recognition.tenant_id, event.recognition_id == Recognition.id,
                    event.user_id == who.user_id, event.kind.in_(("renewed", "revoked", "evaluated")))
             .scalar_subquery())
    status = sa.case((Recognition.ended_on.is_not(None), sa.literal_column("'revoked'")),
                     else_=sa.literal_column("'renewed'"))
    return _recognitions(sa.select(*_columns("recognition", Recognition.id, Recognition.id, _unit_name(),
                                             Recognition.scheme,
                                             sa.cast(sa.extract("year", Recognition.recognised_on), sa.Integer),
                                             status, acted, None))
                         .where(acted.is_not(None)))


def _referral(tab: str, who: Reviewer):
    """Complaints referred by a station: open and sent to the reviewer's bureau (todo), moved by
    this reviewer (done), all but those the station withdrew (all). No scheme; the year referred."""
    moved_by_me = sa.select(sa.func.max(ReferralEvent.created_at)).where(
        ReferralEvent.tenant_id == Referral.tenant_id, ReferralEvent.referral_id == Referral.id,
        ReferralEvent.user_id == who.user_id).scalar_subquery()
    since = _day(moved_by_me) if tab == "done" else _day(Referral.changed_at)
    select = (sa.select(*_columns("referral", Referral.id, Referral.id, Referral.station_name,
                                  sa.cast(sa.null(), sa.String),
                                  sa.cast(sa.extract("year", Referral.referred_at), sa.Integer),
                                  Referral.status, since, None))
              .join(Tenant, Tenant.id == Referral.tenant_id))
    if tab == "todo":
        return select.where(Referral.bureau_id == who.bureau_id, Referral.status.in_(REFERRAL_OPEN))
    if tab == "done":
        return select.where(moved_by_me.is_not(None))
    return select.where(Referral.status != "withdrawn")


def _report(tab: str, who: Reviewer):
    """Periodic reports submitted by the bases (todo), decided by this reviewer (done), all but
    drafts (all). No deadline: a submitted report is not late, whatever its due date."""
    decided_by_me = sa.select(sa.func.max(ReportEvent.created_at)).where(
        ReportEvent.tenant_id == PeriodicReport.tenant_id, ReportEvent.report_id == PeriodicReport.id,
        ReportEvent.user_id == who.user_id, ReportEvent.to_status.in_(("accepted", "returned"))).scalar_subquery()
    since = _day(decided_by_me) if tab == "done" else \
        _day(sa.func.coalesce(PeriodicReport.decided_at, PeriodicReport.submitted_at, PeriodicReport.created_at))
    select = (sa.select(*_columns("report", PeriodicReport.id, PeriodicReport.id, None, PeriodicReport.kind,
                                  PeriodicReport.year, PeriodicReport.status, since, None))
              .join(Tenant, Tenant.id == PeriodicReport.tenant_id))
    if tab == "todo":
        return select.where(PeriodicReport.status == "submitted")
    if tab == "done":
        return select.where(decided_by_me.is_not(None))
    return select.where(PeriodicReport.status != "draft")


def _filtered(select, kind: str, who: Reviewer, filters: Filters):
    """The member with the filters applied, or None when the stage takes no item of this kind."""
    if select is None:
        return None
    columns = select.selected_columns
    if filters.stage:
        taken = STAGES.get(filters.stage, {})
        if kind not in taken:
            return None
        if taken[kind] is not None:
            select = select.where(columns.status.in_(taken[kind]))
    if filters.scheme:
        select = select.where(columns.scheme == filters.scheme)
    if filters.year is not None:
        select = select.where(columns.year == filters.year)
    return _in_jurisdiction(select, who, filters)


def members(tab: str, who: Reviewer, filters: Filters, today: date) -> list:
    out = []
    for kind, select in (("application", _application(tab, who)), ("objection", _objection(tab, who)),
                         ("rereview", _rereview(tab, who, today)), ("unit", _unit(tab, who)),
                         ("unit_rereview", _unit_rereview(tab, who, today)), ("recognition", _recognition(tab, who)),
                         ("referral", _referral(tab, who)), ("report", _report(tab, who))):
        select = _filtered(select, kind, who, filters)
        if select is not None:
            out.append(select)
    return out


def union(tab: str, who: Reviewer, filters: Filters, today: date):
    """The tab's items as one subquery, or None when no kind of item can be in it."""
    parts = members(tab, who, filters, today)
    if not parts:
        return None
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery(f"{tab}_items")


def ordered(tab: str, items):
    """Waiting work by its deadline, then the longest waiting; done and all by the newest."""
    c = items.c
    if tab == "todo":
        return sa.select(items).order_by(sa.nulls_last(c.deadline.asc()), sa.nulls_last(c.since.asc()), c.kind,
                                         c.item_id)
    return sa.select(items).order_by(sa.nulls_last(c.since.desc()), c.kind, c.item_id.desc())


def count(items):
    return sa.select(sa.func.count()).select_from(items).scalar_subquery() if items is not None \
        else sa.literal(0)
