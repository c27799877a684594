"""The sets of local standards a base follows (Chongqing, Wuhan, Tianjin Hongqiao, Beijing
Xicheng): one set per tenant, chosen at creation from its bureau's region and changeable by the
platform admin (`Tenant.standard`). Its readiness page, application start, unit applications,
plan form, timeline, deadlines and warnings offer that set only.

What the scheme files already say is read from them, not typed again here: a scheme belongs to
the set its code starts with (cq-park → cq); whether it assesses the base or a unit comes from
its `applies_to`; how many demonstration units a base needs comes from its rules. What no scheme
file says — where a set applies, the plan's targets, the year's dates, the re-review term of a
recognised base — is written here, once.

Liaocheng (LC) has no scheme file and names no dates: a set with nothing to assess would only
empty the readiness and application pages, so there is none. A tenant whose place matches no set
(no bureau, a bureau elsewhere, Liaocheng) follows `ALL`: every scheme, target and date, as
before sets existed, until the platform admin chooses one.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l

from saas.extensions import db
from saas.tenancy import Bureau, Tenant, current_tenant_id

# The AnnualPlan fields of the XC-3 targets (training ratio, publicity events, demonstration
# enterprises to cultivate, members with rules): the only plan targets a source asks for.
XC_PLAN_TARGETS = ("training_ratio_target", "publicity_events_target", "demonstration_target", "rules_ratio_target")


# The city review's steps (CQ-3), in their order; each standard records the ones its source names.
REVIEW_STEPS = ("materials", "data_check", "on_site", "expert")


@dataclass(frozen=True)
class Dated:
    """A date or period of the year (MM-DD). With `reminder`, also a deadline of the calendar
    feed and the reminders: its title ("%(tenant)s: …"), its uid and the page it links to."""

    opens: str
    closes: str
    title: object  # a lazy string, read in the user's language
    source: str
    reminder: object = None
    uid: str = ""  # with {tenant} and {year}
    link: str = "plans.show"

    def days(self, year: int) -> tuple[date, date]:
        (m1, d1), (m2, d2) = ((int(p) for p in md.split("-")) for md in (self.opens, self.closes))
        return date(year, m1, d1), date(year, m2, d2)


@dataclass(frozen=True)
class ReportType:
    """A periodic report the set asks of a base (tenants.reports): the period its figures cover
    (MM-DD to MM-DD of the report's year) and its due date — a `Dated` of the set, `due_offset`
    years after the report's year (TJ-6: last year's work report by the end of April) — or none
    where the source names no date (XC-2's yearly evaluation: the bureau sets its own)."""

    key: str
    title: object  # a lazy string
    source: str
    starts: str = "01-01"
    ends: str = "12-31"
    due: Dated | None = None
    due_offset: int = 0
    sections: tuple[str, ...] = ()  # the narrative sections (titles: tenants.reports.services)

    def period(self, year: int) -> tuple[date, date]:
        (m1, d1), (m2, d2) = ((int(p) for p in md.split("-")) for md in (self.starts, self.ends))
        return date(year, m1, d1), date(year, m2, d2)

    def due_on(self, year: int) -> date | None:
        return self.due.days(year + self.due_offset)[1] if self.due is not None else None


@dataclass(frozen=True)
class Standard:
    code: str
    title_zh: str
    title_en: str
    places: tuple[str, ...] = ()  # words in a bureau's name or a region that place a tenant here
    plan_targets: tuple[str, ...] = ()
    dates: tuple[Dated, ...] = ()
    rereview_years: int | None = None  # a recognised base's re-review term (CQ-3: 2, XC-2: 1)
    # The steps the city review records before the public notice (CQ-3: materials, data
    # comparison, on-site check, expert assessment; XC-2: written pre-review and expert review;
    # WH-3: written pre-review, spot checks and on-site visits; TJ-6: acceptance on site).
    review_steps: tuple[str, ...] = REVIEW_STEPS
    # A base recognised without a term is accepted again each year on this window (TJ-6).
    acceptance: Dated | None = None
    # The periodic reports of a base to its bureau (CQ-4, TJ-6, XC-2/XC-3).
    reports: tuple[ReportType, ...] = ()

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_zh

    def owns(self, scheme) -> bool:
        return not self.code or scheme.code.split("-")[0] == self.code

    def schemes(self) -> list:
        return [s for s in current_app.extensions["schemes"].values() if self.owns(s)]

    def applicable(self, kind: str) -> list:
        """The schemes a base of this kind is shown: its own, per member and per station."""
        return [s for s in self.schemes() if kind in s.applies_to or s.per_enterprise or "station" in s.applies_to]

    def base_schemes(self, kind: str) -> list:
        return [s for s in self.applicable(kind) if not s.per_enterprise]

    def term(self, start: date) -> tuple[date | None, date | None]:
        """(valid until, next review due) of a base recognised or renewed on `start`: the last day
        of the re-review term, by which the re-review is due (CQ-3 two years, XC-2 one); without
        a term, no end of validity and the next acceptance window's last day (TJ-6)."""
        if self.rereview_years:
            try:
                anniversary = start.replace(year=start.year + self.rereview_years)
            except ValueError:  # 29 February: the term ends with February
                anniversary = date(start.year + self.rereview_years, 3, 1)
            last = anniversary - timedelta(days=1)
            return last, last
        if self.acceptance is not None:
            return None, self.acceptance.days(start.year + 1)[1]
        return None, None

    def unit_schemes(self, kind: str) -> list:
        """enterprise: cq-enterprise, wh-enterprise, xc-point; station: wh-station."""
        if kind == "enterprise":
            return [s for s in self.schemes() if s.per_enterprise]
        return [s for s in self.schemes() if "station" in s.applies_to]


# The reports' deadlines link to the report itself (tenants.reports: one endpoint per report
# type, taking the deadline's year), so the calendar feed and the reminders open it.
_HALF_YEAR = Dated("06-15", "06-15", _l("Half-year progress report"), "CQ-4",
                   _l("%(tenant)s: half-year progress report"), "report-{tenant}-{year}-06", "reports.due_cq_half_year")
_TJ_ACCEPTANCE = Dated("01-01", "04-30", _l("Acceptance of last year's bases, with the work report"), "TJ-6",
                        _l("%(tenant)s: acceptance of last year's work ends (work report)"),
                        "acceptance-{tenant}-{year}", "reports.due_tj_work_report")
_YEAR_END = Dated("12-15", "12-15", _l("Year-end progress report"), "CQ-4",
                  _l("%(tenant)s: year-end progress report"), "report-{tenant}-{year}-12", "reports.due_cq_year_end")

# CQ-4: progress "by 15 June and 15 December" — each covers the year so far, up to its date.
# TJ-6: the work report of last year, submitted at the acceptance (January to April).
# XC-2/XC-3: the yearly evaluation of the base against its annual work plan; no date named.
_PROGRESS_SECTIONS = ("progress", "measures", "problems", "next_steps")
REPORT_TYPES = {r.key: r for r in (
    ReportType("cq_half_year", _l("Half-year progress report"), "CQ-4", "01-01", "06-15", _HALF_YEAR,
               sections=_PROGRESS_SECTIONS),
    ReportType("cq_year_end", _l("Year-end progress report"), "CQ-4", "01-01", "12-15", _YEAR_END,
               sections=_PROGRESS_SECTIONS),
    ReportType("tj_work_report", _l("Work report of the year (for the acceptance)"), "TJ-6", "01-01", "12-31",
               _TJ_ACCEPTANCE, due_offset=1, sections=("needs", "advantages", "compliance", "duties")),
    ReportType("xc_annual_summary", _l("Annual summary for the yearly evaluation"), "XC-2", "01-01", "12-31",
               sections=("plan_done", "training_publicity", "exchange", "problems", "next_steps")),
)}

STANDARDS = {s.code: s for s in (
    Standard("cq", "重庆市标准", "Chongqing standards", ("重庆",), rereview_years=2,
             reports=(REPORT_TYPES["cq_half_year"], REPORT_TYPES["cq_year_end"]), dates=(
        Dated("06-10", "06-10", _l("Application deadline in Chongqing"), "CQ-3"), _HALF_YEAR, _YEAR_END)),
    Standard("wh", "武汉市标准", "Wuhan standards", ("武汉",), review_steps=("materials", "data_check", "on_site")),
    Standard("tj", "天津市红桥区标准", "Tianjin Hongqiao standards", ("天津",), review_steps=("materials", "on_site"),
             acceptance=_TJ_ACCEPTANCE, reports=(REPORT_TYPES["tj_work_report"],), dates=(
        _TJ_ACCEPTANCE,
        Dated("05-01", "06-15", _l("Application window (May to mid-June)"), "TJ-6"),
        Dated("07-01", "12-31", _l("Guidance period"), "TJ-6"))),
    # Xicheng is Beijing's only standard here, so a Beijing bureau of another district follows it too.
    Standard("xc", "北京市西城区标准", "Beijing Xicheng standards", ("西城", "北京"), plan_targets=XC_PLAN_TARGETS,
             rereview_years=1, review_steps=("materials", "expert"), reports=(REPORT_TYPES["xc_annual_summary"],)),
)}
ALL = Standard("", "全部标准（未确定地区）", "All standards (region not determined)",
               plan_targets=XC_PLAN_TARGETS, dates=tuple(d for s in STANDARDS.values() for d in s.dates),
               reports=tuple(REPORT_TYPES.values()))


def derive(bureau: Bureau | None, region: str = "") -> str:
    """The set of the tenant's place: its bureau, then the bureaus above it (a district's
    city), then its region text; "" when none names a known place."""
    names, seen = [], set()
    while bureau is not None and id(bureau) not in seen:
        seen.add(id(bureau))
        names.append(bureau.name or "")
        bureau = bureau.parent
    names.append(region or "")
    for name in names:
        for standard in STANDARDS.values():
            if any(place in name for place in standard.places):
                return standard.code
    return ""


def standard_of(tenant: Tenant | None) -> Standard:
    """The tenant's set: the one stored, else (a tenant made before sets existed) the one its
    place gives, computed the way creation does; ALL when there is none."""
    if tenant is None:
        return ALL
    code = tenant.standard or derive(tenant.bureau, tenant.region)
    return STANDARDS.get(code, ALL)


def current_standard() -> Standard:
    """The set of the tenant in scope (a request's, or a job's or seed's tenant_scope)."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        return ALL
    tenant = g.get("tenant") if has_app_context() else None
    if tenant is None or tenant.id != tenant_id:
        tenant = db.session.get(Tenant, tenant_id)
    return standard_of(tenant)


def of_scheme(code: str) -> Standard:
    return STANDARDS.get((code or "").split("-")[0], ALL)


def choices(locale: str) -> list[tuple[str, str]]:
    return [(s.code, s.title(locale)) for s in STANDARDS.values()]


def units_required(scheme) -> int | None:
    """How many demonstration units the scheme's own rules ask for — cq-park item 15
    (`demonstration_units >= 5`), wh-station item 9 (`>= 2`) — or None when no rule counts
    them (tj-base, xc-zone)."""
    if scheme is None:
        return None
    for item in scheme.items.values():
        for node in ast.walk(item.rule.tree) if item.rule is not None else ():
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.left, ast.Name) \
                    and node.left.id == "demonstration_units" and isinstance(node.comparators[0], ast.Constant):
                n = node.comparators[0].value
                if isinstance(node.ops[0], ast.GtE):
                    return math.ceil(n)
                if isinstance(node.ops[0], ast.Gt):
                    return math.floor(n) + 1
    return None
