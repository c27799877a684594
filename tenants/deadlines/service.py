"""Everyone's deadlines: the application window (the bureau's), the dates of each tenant's own
set of standards (CQ-4 progress reports on 15 June and 15 December, the end of TJ-6's
acceptance), re-reviews, public-notice ends, and open follow-ups — for the calendar feed and the
reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from flask_babel import gettext as _

from saas.auth.models import Membership, User
from saas.extensions import db
from saas.links import public_url
from saas.tenancy import Bureau, Tenant, cross_tenant_reads
from tenants.applications.models import Application
from saas.templating import locale_code
from tenants.schemes.service import schemes
from tenants.schemes.standards import standard_of
from tenants.stations.models import ServiceLog, Station
from tenants.visits.models import GuidanceVisit, VisitInstructor


@dataclass(frozen=True)
class Deadline:
    day: date
    title: str
    url: str
    uid: str
    at: time | None = None  # a time of day (Asia/Shanghai); None: an all-day deadline


def _md(year: int, value: str, fallback: str) -> date:
    try:
        month, day = (int(p) for p in (value or fallback).split("-"))
        return date(year, month, day)
    except ValueError:
        month, day = (int(p) for p in fallback.split("-"))
        return date(year, month, day)


def _scheme_title(code: str) -> str:
    """A scheme in words, in the reader's language (never its code)."""
    scheme = schemes().get(code)
    return scheme.title(locale_code()) if scheme is not None else code


def for_user(user: User, start: date, end: date) -> list[Deadline]:
    """The user's deadlines between two dates, across the tenants they work in."""
    out: list[Deadline] = []
    with cross_tenant_reads("a user's own deadlines across their tenants"):
        # Every bureau at once (a small table): a tenant's bureau and the bureaus above it,
        # which its set of standards is derived from, are then found without a statement each.
        bureaus = {b.id: b for b in db.session.scalars(sa.select(Bureau))}
        memberships = db.session.execute(sa.select(Membership.role, Tenant).join(Tenant, Tenant.id == Membership.tenant_id)
                                         .where(Membership.user_id == user.id, Tenant.status == "active")).all()
        managed = [t for role, t in memberships if role in ("admin", "staff")]
        for tenant in managed:
            bureau = bureaus.get(tenant.bureau_id)
            own = [d for d in standard_of(tenant).dates if d.reminder is not None]  # no other set's
            for year in range(start.year, end.year + 1):
                opens = _md(year, bureau.application_opens if bureau else "", "05-01")
                closes = _md(year, bureau.application_closes if bureau else "", "06-15")
                home = public_url("applications.index", tenant_slug=tenant.slug)
                out += [Deadline(opens, _("%(tenant)s: application window opens", tenant=tenant.name), home,
                                 f"open-{tenant.id}-{year}"),
                        Deadline(closes, _("%(tenant)s: application window closes", tenant=tenant.name), home,
                                 f"close-{tenant.id}-{year}")]
                out += [Deadline(d.days(year)[1], str(d.reminder) % {"tenant": tenant.name},
                                 public_url(d.link, tenant_slug=tenant.slug, year=year),
                                 d.uid.format(tenant=tenant.id, year=year)) for d in own]
        ids = [t.id for t in managed]
        slugs = {t.id: t.slug for _r, t in memberships}
        if ids:
            for a in db.session.scalars(sa.select(Application).where(Application.tenant_id.in_(ids),
                                                                      Application.status == "recognised",
                                                                      Application.rereview_due.is_not(None))):
                out.append(Deadline(a.rereview_due, _("Re-review of the recognised base (%(scheme)s)",
                                                      scheme=_scheme_title(a.scheme)),
                                    public_url("applications.show", tenant_slug=slugs[a.tenant_id], application_id=a.id), f"rereview-{a.id}"))
            for e in db.session.scalars(sa.select(ServiceLog).where(
                    ServiceLog.tenant_id.in_(ids), ServiceLog.follow_up == "open", ServiceLog.follow_up_due.is_not(None))):
                out.append(Deadline(e.follow_up_due, _("Follow-up of a service ledger entry (%(date)s)", date=e.served_on.isoformat()),
                                    public_url("stations.edit_log", tenant_slug=slugs[e.tenant_id], log_id=e.id),
                                    f"log-{e.id}"))
        visits = sa.select(GuidanceVisit).where(GuidanceVisit.status == "open", GuidanceVisit.follow_up_due.is_not(None))
        mine = visits.join(VisitInstructor, VisitInstructor.visit_id == GuidanceVisit.id).where(
            VisitInstructor.user_id == user.id)
        theirs = visits.where(GuidanceVisit.tenant_id.in_(ids)) if ids else None
        seen = set()
        for select in (mine, theirs):
            if select is None:
                continue
            for v in db.session.scalars(select):
                if v.id in seen or v.tenant_id not in slugs:
                    continue
                seen.add(v.id)
                out.append(Deadline(v.follow_up_due, _("Follow-up of a guidance visit (%(date)s)", date=v.visited_on.isoformat()),
                                    public_url("visits.show", tenant_slug=slugs[v.tenant_id], visit_id=v.id),
                                    f"visit-{v.id}"))
        if user.is_reviewer and user.bureau_id in bureaus:
            jurisdiction = bureaus[user.bureau_id].jurisdiction_ids()
            out += _jurisdiction(jurisdiction, {t.id for t in managed}, start, end)
            # The re-reviews (CQ-3) and annual evaluations (XC-2) the bureau has to hold.
            for a, t in db.session.execute(sa.select(Application, Tenant).join(Tenant, Tenant.id == Application.tenant_id)
                                           .where(Tenant.bureau_id.in_(jurisdiction), Application.status == "recognised",
                                                  Application.rereview_due.is_not(None))):
                out.append(Deadline(a.rereview_due, _("Re-review of %(tenant)s (%(scheme)s) due", tenant=t.name,
                                                      scheme=_scheme_title(a.scheme)),
                                    public_url("applications.show", tenant_slug=t.slug, application_id=a.id),
                                    f"rereview-{a.id}-bureau"))
            for a, t in db.session.execute(sa.select(Application, Tenant).join(Tenant, Tenant.id == Application.tenant_id)
                                           .where(Tenant.bureau_id.in_(jurisdiction), Application.status == "public_notice",
                                                  Application.notice_end.is_not(None))):
                out.append(Deadline(a.notice_end, _("Public notice of %(tenant)s ends", tenant=t.name),
                                    public_url("applications.show", tenant_slug=t.slug, application_id=a.id),
                                    f"notice-{a.id}"))
    return sorted((d for d in out if start <= d.day <= end), key=lambda d: (d.day, d.title))


def _jurisdiction(jurisdiction: list[int], managed: set[int], start: date, end: date) -> list[Deadline]:
    """A reviewer's deadlines of the bases of the jurisdiction (inside cross_tenant_reads), in a
    constant number of statements: the bases' report dates of their set of standards (CQ-4,
    TJ-6) and the demonstration units whose term ends (tenants.recognition.services.due)."""
    from tenants.members.models import Enterprise
    from tenants.recognition.models import Recognition
    from tenants.recognition.services import due

    out: list[Deadline] = []
    tenants = db.session.scalars(sa.select(Tenant).where(Tenant.bureau_id.in_(jurisdiction),
                                                         Tenant.status == "active").order_by(Tenant.id)).all()
    for tenant in tenants:
        if tenant.id in managed:
            continue  # already there as the base's own
        own = [d for d in standard_of(tenant).dates if d.reminder is not None]
        for year in range(start.year, end.year + 1):
            out += [Deadline(d.days(year)[1], str(d.reminder) % {"tenant": tenant.name},
                             public_url(d.link, tenant_slug=tenant.slug, year=year),
                             d.uid.format(tenant=tenant.id, year=year) + "-bureau") for d in own]
    units = (due().add_columns(Tenant.slug, Tenant.name, Enterprise.name, Station.name)
             .join(Tenant, Tenant.id == Recognition.tenant_id)
             .outerjoin(Enterprise, Enterprise.id == Recognition.enterprise_id)
             .outerjoin(Station, Station.id == Recognition.station_id)
             .where(Tenant.bureau_id.in_(jurisdiction), Tenant.status == "active"))
    for r, slug, tenant_name, enterprise, station in db.session.execute(units):
        out.append(Deadline(r.valid_until, _("%(tenant)s: the term of demonstration unit %(unit)s ends",
                                             tenant=tenant_name, unit=enterprise or station or ""),
                            public_url("recognition.show", tenant_slug=slug, recognition_id=r.id),
                            f"unit-term-{r.id}"))
    return out
