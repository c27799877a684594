"""The reviewer's workbench: what waits for them (todo), what they acted on (done) and all the
work of their jurisdiction (all), each item in words — the base, the scheme's title, the stage,
the days waiting and the deadline — with a link to its page.

A page costs a fixed number of statements: the bureau tree (one recursive query), the three
tabs' counts (one statement) and the page's rows (one), read through the named cross-tenant
escape hatch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination

from saas.auth.models import User
from saas.extensions import db
from saas.templating import locale_code
from saas.tenancy import Bureau, cross_tenant_reads, subtree
from tenants.recognition.services import SOON
from tenants.schemes.service import schemes

from . import items
from .items import STAGES, TABS, Filters, Reviewer

PER_PAGE = 25
REASON = "a reviewer's workbench: work items within the bureau's jurisdiction"


def tab_labels() -> dict:
    return {"todo": _("To do"), "done": _("Done by me"), "all": _("All")}


def stage_labels() -> dict:
    """The stages of the filter, in words."""
    return {"district_review": _("District review"), "city_review": _("City review"),
            "public_notice": _("Public notice"), "returned": _("Returned for revision"),
            "unit_decision": _("Unit applications waiting for the bureau"),
            "rereview": _("Re-review or evaluation due"), "decided": _("Decided"),
            "referral": _("Referred complaints with the bureau"),
            "report": _("Periodic reports waiting for the bureau")}


def kind_labels() -> dict:
    return {"application": _("Base application"), "objection": _("Objection to resolve"),
            "rereview": _("Re-review of a recognised base"), "unit": _("Unit application"),
            "unit_rereview": _("Re-review of a demonstration unit"), "recognition": _("Unit recognition"),
            "referral": _("Complaint referred by a station"),
            "report": _("Periodic report of a base")}


def empty_messages() -> dict:
    """What appears in each tab, said when it is empty."""
    return {"todo": _("Nothing waits for you. Applications at a stage you decide, unit applications recommended by "
                      "their park, objections received during a public notice and re-reviews falling due within "
                      "90 days will appear here."),
            "done": _("You have not acted on anything yet. The applications you moved or decided will appear here."),
            "all": _("No application in your jurisdiction has been submitted yet. Every submitted base application "
                     "and every unit application that reached the bureau will appear here.")}


# --- the bureau tree ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BureauRow:
    id: int
    name: str
    level: str
    parent_id: int | None


def bureau_tree(bureau_id: int) -> list[BureauRow]:
    """The bureau and every bureau below it, the bureau first, by one recursive query."""
    # A Core statement on the session's connection: the bureau table holds no tenant's rows, and
    # the ORM's per-statement work cost more than the query (every bureau page reads the tree).
    rows = [BureauRow(*r) for r in db.session.connection().execute(_tree_statement(), {"root": bureau_id})]
    return sorted(rows, key=lambda r: r.id != bureau_id)


@functools.lru_cache(maxsize=1)
def _tree_statement():
    """Built once, with the bound parameter `root`."""
    tree = subtree(sa.bindparam("root"), Bureau.name, Bureau.level, Bureau.parent_id)
    return sa.select(tree).order_by(tree.c.name)


def reviewer_of(user: User, tree: list[BureauRow]) -> Reviewer:
    return Reviewer(user.id, user.bureau_id, tree[0].level in ("city", "province"), tuple(r.id for r in tree))


def below(tree: list[BureauRow], bureau_id: int) -> tuple[int, ...]:
    """`bureau_id` and the bureaus under it, within the tree."""
    out, frontier = [], [bureau_id]
    while frontier:
        out += frontier
        frontier = [r.id for r in tree if r.parent_id in frontier and r.id not in out]
    return tuple(out)


# --- the items --------------------------------------------------------------------------------------

@dataclass
class Item:
    kind: str
    id: int
    tenant_slug: str
    tenant_name: str
    unit_name: str | None
    scheme: str
    scheme_title: str
    year: int | None
    status: str
    stage: str  # the status in words
    kind_label: str
    since: date | None
    days: int | None  # waiting (todo, all) or since the reviewer acted (done)
    deadline: date | None
    url: str

    def overdue(self, today: date) -> bool:
        return self.deadline is not None and self.deadline < today


def _url(kind: str, slug: str, link_id: int) -> str:
    if kind in ("application", "objection", "rereview"):
        return url_for("applications.show", tenant_slug=slug, application_id=link_id)
    if kind == "unit":
        return url_for("recognition.application", tenant_slug=slug, unit_application_id=link_id)
    if kind == "referral":
        return url_for("referrals.show", tenant_slug=slug, referral_id=link_id)
    if kind == "report":
        return url_for("reports.show", tenant_slug=slug, report_id=link_id)
    return url_for("recognition.show", tenant_slug=slug, recognition_id=link_id)


def _closing(year: int | None, closes: str | None) -> date | None:
    """The application window's last day in `year` (the bureau's, MM-DD): when a returned
    application is due back."""
    try:
        month, day = (int(p) for p in (closes or "06-15").split("-"))
        return date(year, month, day) if year else None
    except ValueError:
        return None


def _stage(row, labels: dict) -> str:
    if row.kind == "objection":
        return _("Objection received during the public notice, not resolved")
    if row.kind in ("rereview", "unit_rereview"):
        return _("Re-review or evaluation due")
    if row.kind == "recognition":
        return _("Revoked") if row.status == "revoked" else _("Renewed after re-review")
    if row.kind == "referral":
        return labels["referral"].get(row.status, _("Unknown stage"))
    if row.kind == "report":
        return labels["report"].get(row.status, _("Unknown stage"))
    table = labels["unit"] if row.kind == "unit" else labels["application"]
    return table.get(row.status, _("Unknown stage"))


def _labels() -> dict:
    from tenants.applications.services import status_labels as application_status
    from tenants.recognition.services import status_labels as unit_status
    from tenants.referrals.services import status_labels as referral_status
    from tenants.reports.services import status_labels as report_status

    return {"application": application_status(), "unit": unit_status(), "kind": kind_labels(),
            "referral": referral_status(), "report": report_status()}


def report_title(kind: str) -> str:
    from tenants.reports.services import kind_title

    return kind_title(kind or "")


def scheme_title(code: str, locale: str) -> str:
    scheme = schemes().get(code or "")
    return scheme.title(locale) if scheme is not None else _("Not stated")


def to_items(rows, today: date) -> list[Item]:
    labels, locale = _labels(), locale_code()
    out = []
    for row in rows:
        deadline, since = row.deadline, row.since
        if row.kind == "application" and row.status == "returned":
            deadline = _closing(row.year, row.closes)
        if row.kind in ("rereview", "unit_rereview") and deadline is not None:
            since = min(deadline - SOON, today)  # due from SOON before its day
        out.append(Item(kind=row.kind, id=row.item_id, tenant_slug=row.slug, tenant_name=row.tenant_name,
                        unit_name=row.unit_name, scheme=row.scheme or "",
                        scheme_title="" if row.kind == "referral" else
                        report_title(row.scheme) if row.kind == "report" else scheme_title(row.scheme, locale),
                        year=row.year, status=row.status, stage=_stage(row, labels),
                        kind_label=labels["kind"][row.kind], since=since,
                        days=max((today - since).days, 0) if since is not None else None, deadline=deadline,
                        url=_url(row.kind, row.slug, row.link_id)))
    return out


# --- a page of the workbench --------------------------------------------------------------------

class _Page(Pagination):
    """A page whose rows and total were read already (with the other tabs' counts)."""

    def _query_items(self) -> list:
        return self._query_args["rows"]

    def _query_count(self) -> int:
        return self._query_args["total"]


@dataclass
class Workbench:
    tab: str
    counts: dict
    page: Pagination
    tree: list[BureauRow] = field(default_factory=list)

    @property
    def items(self) -> list[Item]:
        return self.page.items


def load(user: User, tab: str = "todo", filters: Filters = Filters(), page: int = 1, per_page: int = PER_PAGE,
         today: date | None = None, tree: list[BureauRow] | None = None) -> Workbench:
    """One page of a tab, and the three tabs' counts (with the same filters)."""
    today = today or date.today()
    tree = tree or bureau_tree(user.bureau_id)
    who = reviewer_of(user, tree)
    unions = {t: items.union(t, who, filters, today) for t in TABS}
    with cross_tenant_reads(REASON):
        counts = db.session.execute(sa.select(*(items.count(unions[t]).label(t) for t in TABS))).one()._asdict()
        rows = [] if unions[tab] is None else db.session.execute(
            items.ordered(tab, unions[tab]).limit(per_page).offset((page - 1) * per_page)).all()
    return Workbench(tab, counts, _Page(page=page, per_page=per_page, max_per_page=200, error_out=False,
                                        rows=to_items(rows, today), total=counts[tab]), tree)


def pending(user: User, today: date | None = None) -> int:
    """How many items wait for the reviewer: the badge in the top bar (unfiltered)."""
    today = today or date.today()
    who = reviewer_of(user, bureau_tree(user.bureau_id))
    with cross_tenant_reads(REASON):
        return db.session.execute(sa.select(items.count(items.union("todo", who, Filters(), today)))).scalar_one()


def parse_filters(args, tree: list[BureauRow]) -> Filters:
    """The filters of a query string; a value that is not one of the choices is ignored."""
    from tenants.plans.services import YEARS

    scheme, stage = args.get("scheme", ""), args.get("stage", "")
    years = {str(y): y for y in YEARS}
    districts = {str(r.id): r.id for r in tree}
    district = districts.get(args.get("district", ""))
    return Filters(scheme=scheme if scheme in schemes() else "", year=years.get(args.get("year", "")),
                   bureau_ids=below(tree, district) if district is not None else None,
                   stage=stage if stage in STAGES else "")


def until(deadline: date | None, today: date) -> str:
    """The deadline in words relative to today."""
    if deadline is None:
        return ""
    days = (deadline - today).days
    if days < 0:
        return _("Days overdue: %(n)d", n=-days)
    if days == 0:
        return _("due today")
    return _("Days left: %(n)d", n=days)

