"""The city review's expert panel (CQ-3 专家评估): each expert's score sheet over every item of
the scheme, each expert's total under the scheme's group caps and maximum, their average (the
final score) and spread, and the panel's own verdict with its reason — the cq-park standard sets
no pass mark, so the reviewers decide.

Independence: a city reviewer scores as an expert under their own account, and sees the other
experts' sheets (and so the average and spread) only once they have saved their own: nobody
anchors on a colleague's numbers. Once the city review is over the sheets are read-only and open
to every reviewer. A reviewer may also enter the paper sheet of a named expert without an
account (as the panel allowed before); it is shown as such, with who entered it, and only they
may correct it.

A sheet is the ReviewScore rows sharing `scorer`. An account's sheet stores the account's e-mail
address there (unique, and unchanged when the name is edited; the name is what pages show) with
`entered_by_id` the account itself; a named expert's sheet stores the typed name, which may not
contain "@", so the two kinds never meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from saas.auth.models import User
from saas.extensions import db
from saas.templating import locale_code
from saas.tenancy import Tenant
from tenants.metrics.service import tenant_metrics
from tenants.schemes.loader import Group, Item, Scheme
from tenants.schemes.scoring import ItemResult
from tenants.schemes.service import readiness, schemes
from tenants.training.coverage import Period

from .models import Application, ApplicationEvent, ReviewScore
from .services import ApplicationError, event, hold, level_of

OPEN = "city_review"  # the only stage in which experts score and the panel decides
STEP = "expert"  # the city review's 专家评估 step on the timeline (ApplicationEvent.step)
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


class ScoringError(ApplicationError):
    """Refused input; `fields` maps each wrong form field to its message."""

    def __init__(self, fields: dict[str, str], conflict: bool = False):
        super().__init__(" ".join(fields.values()), conflict)
        self.fields = fields


@dataclass
class Sheet:
    scorer: str                 # as stored: an account's e-mail address or a named expert's name
    name: str                   # as shown
    user_id: int | None         # the expert's own account; None for a named expert's paper sheet
    entered_by_id: int | None
    entered_by: str             # a named expert's sheet: the reviewer who entered it
    points: dict[str, float] = field(default_factory=dict)
    total: float = 0.0

    @property
    def named(self) -> bool:
        return self.user_id is None


@dataclass
class Row:
    item: Item
    maximum: float              # the most an expert may give the item
    submitted: dict | None      # the item as the park's readiness stood at submission (snapshot)
    result: ItemResult          # from the records now: status, points, figures, declaration, evidence


@dataclass
class Panel:
    scheme: Scheme
    groups: list[tuple[Group, list[Row]]]
    sheets: list[Sheet]         # those the viewer may see: their own first
    mine: Sheet | None
    hidden: int                 # sheets saved by others that the viewer may not see yet
    count: int                  # sheets saved in all
    average: float | None       # shown only when the viewer sees every sheet
    spread: float | None
    may_score: bool
    may_decide: bool
    passed: bool | None
    reason: str
    decided_by: str
    decided_at: datetime | None
    year: int

    @property
    def others(self) -> list[Sheet]:
        return [s for s in self.sheets if s is not self.mine]


def item_max(item: Item) -> float:
    """A criteria scheme's items carry no points: an expert gives 0 (not met) to 1 (met)."""
    return item.points if item.points > 0 else 1.0


def total(scheme: Scheme, points: Mapping[str, float]) -> float:
    """One expert's total: each group's points up to its cap (cq-park's platform items add up to
    40, the group is worth 25), bonus groups on top, never above the scheme's maximum."""
    out = 0.0
    for group in scheme.groups:
        raw = sum(points.get(i.code, 0) for i in group.items)
        out += min(raw, group.cap) if group.cap is not None else raw
    return round(min(out, scheme.max) if scheme.max is not None else out, 2)


def _sheets(application: Application, scheme: Scheme) -> list[Sheet]:
    """Every sheet of the application, in the order they were first saved: one statement."""
    rows = db.session.execute(
        sa.select(ReviewScore.scorer, ReviewScore.item, ReviewScore.points, ReviewScore.entered_by_id,
                  User.name, User.email)
        .outerjoin(User, User.id == ReviewScore.entered_by_id)
        .where(ReviewScore.application_id == application.id).order_by(ReviewScore.id)).all()
    sheets: dict[str, Sheet] = {}
    for scorer, item, points, entered_by_id, entered_by, email in rows:
        sheet = sheets.get(scorer)
        if sheet is None:
            own = email is not None and scorer == email
            sheet = sheets[scorer] = Sheet(scorer, entered_by if own else scorer, entered_by_id if own else None,
                                           entered_by_id, "" if own else (entered_by or ""))
        if item in scheme.items:  # an item the scheme no longer has counts for nothing
            sheet.points[item] = points
    for sheet in sheets.values():
        sheet.total = total(scheme, sheet.points)
    return list(sheets.values())


def final_score(application: Application) -> float | None:
    """The average of the experts' totals (each under the group caps and the maximum)."""
    sheets = _sheets(application, schemes()[application.scheme])
    return round(sum(s.total for s in sheets) / len(sheets), 2) if sheets else None


def parse_sheet(scheme: Scheme, form: Mapping[str, str]) -> tuple[dict[str, float], dict[str, str]]:
    """Points for every item, from the fields `points-<code>`: (points, errors by field). A
    number in ASCII or full-width digits, from 0 to the item's points; "nan", "inf", "1e30",
    a negative number or one above the item's points is refused, naming the item."""
    points, errors, locale = {}, {}, locale_code()
    for item in scheme.items.values():
        name, top = f"points-{item.code}", item_max(item)
        words = {"code": item.code, "title": item.title(locale), "max": f"{top:g}"}
        text = unicodedata.normalize("NFKC", str(form.get(name) or "")).strip()
        if not text:
            errors[name] = _("Item %(code)s “%(title)s”: give the points, from 0 to %(max)s.", **words)
        elif len(text) > 64 or not NUMBER.fullmatch(text):
            errors[name] = _("Item %(code)s “%(title)s”: the points are a number from 0 to %(max)s.", **words)
        elif not 0 <= Decimal(text) <= Decimal(str(top)):
            errors[name] = _("Item %(code)s “%(title)s”: the points must be between 0 and %(max)s.", **words)
        else:
            points[item.code] = float(Decimal(text))
    return points, errors


def _check_open(application: Application, user: User, tenant: Tenant, closed: str) -> None:
    if level_of(user, tenant) != "city":
        raise ApplicationError(_("This step is not open to you now."), conflict=True)
    if application.status != OPEN:
        raise ApplicationError(closed, conflict=True)


def save_sheet(application: Application, form: Mapping[str, str], user: User, tenant: Tenant,
               expert: str = "") -> dict[str, float]:
    """Save one expert's points for every item at once: the signed-in reviewer's own sheet, or
    (`expert` named) the paper sheet of an expert without an account. All or nothing."""
    closed = _("Scores are entered during the city review.")
    _check_open(application, user, tenant, closed)
    scheme = schemes()[application.scheme]
    expert = " ".join((expert or "").split())
    if "@" in expert or len(expert) > 120:
        raise ScoringError({"scorer": _("Expert name: the name of an expert without an account, up to 120 "
                                        "characters (an expert with an account signs in and scores).")})
    points, errors = parse_sheet(scheme, form)
    if errors:
        raise ScoringError(errors)
    # Held until the commit: a sheet never lands after the application moved on, and two saves
    # of one sheet do not race to insert the same rows.
    if not hold(application, [OPEN]):
        raise ApplicationError(closed, conflict=True)
    scorer = expert or user.email
    rows = {r.item: r for r in db.session.scalars(sa.select(ReviewScore).where(
        ReviewScore.application_id == application.id, ReviewScore.scorer == scorer))}
    if expert and any(r.entered_by_id not in (None, user.id) for r in rows.values()):
        raise ScoringError({"scorer": _("Expert name: another reviewer entered the sheet of %(name)s; only they "
                                        "may correct it.", name=expert)})
    for code, value in points.items():
        row = rows.get(code) or ReviewScore(application_id=application.id, item=code, scorer=scorer)
        row.points, row.entered_by_id = value, user.id
        db.session.add(row)
    return points


def record_verdict(application: Application, passed: str, reason: str, user: User, tenant: Tenant) -> None:
    """The panel's pass or fail with its reason, on the application and as the 专家评估 step of
    the timeline (who and when). Decided on the scores: by a city reviewer who sees them all."""
    closed = _("The panel's verdict is recorded during the city review.")
    _check_open(application, user, tenant, closed)
    errors = {}
    if passed not in ("pass", "fail"):
        errors["passed"] = _("Panel verdict: choose passed or not passed.")
    reason = (reason or "").strip()[:2000]
    if not reason:
        errors["reason"] = _("Reason: say why the panel decided so.")
    if errors:
        raise ScoringError(errors)
    sheets = _sheets(application, schemes()[application.scheme])
    if not sheets:
        raise ScoringError({"passed": _("Panel verdict: no expert has saved scores yet.")})
    if any(not _visible(s, user, sheets, open_=True, reviewer=True) for s in sheets):
        raise ScoringError({"passed": _("Panel verdict: save your own scores first; the verdict is decided "
                                        "on every expert's scores.")})
    if not hold(application, [OPEN]):
        raise ApplicationError(closed, conflict=True)
    application.panel_passed, application.panel_reason = passed == "pass", reason
    event(application, OPEN, OPEN, user.id, reason, STEP)


def _visible(sheet: Sheet, user: User, sheets: list[Sheet], open_: bool, reviewer: bool) -> bool:
    """The rule of independence (module docstring)."""
    if sheet.user_id == user.id or (sheet.named and sheet.entered_by_id == user.id):
        return True
    if not reviewer:
        return False
    return not open_ or any(s.user_id == user.id for s in sheets)


def _verdict(application: Application) -> tuple[str, datetime | None]:
    """Who recorded the verdict standing now, and when: its step on the timeline."""
    if application.panel_passed is None:
        return "", None
    found = db.session.execute(
        sa.select(User.name, ApplicationEvent.created_at).outerjoin(User, User.id == ApplicationEvent.user_id)
        .where(ApplicationEvent.application_id == application.id, ApplicationEvent.step == STEP,
               ApplicationEvent.comment == application.panel_reason)
        .order_by(ApplicationEvent.id.desc()).limit(1)).first()
    return (found[0] or "", found[1]) if found else ("", None)


def panel(application: Application, user: User, tenant: Tenant, reviewer: bool) -> Panel:
    """Everything the panel shows, in a fixed number of statements whatever the number of items,
    experts, declarations and files: the sheets (1), the declarations and their files (2), the
    year's figures (cached per tenant), the verdict's step (1). `reviewer`: the viewer may review."""
    scheme = schemes()[application.scheme]
    open_ = application.status == OPEN
    everyone = _sheets(application, scheme)
    mine = next((s for s in everyone if s.user_id == user.id), None)
    sheets = [s for s in everyone if _visible(s, user, everyone, open_, reviewer)]
    sheets.sort(key=lambda s: s is not mine)
    all_seen = len(sheets) == len(everyone)
    totals = [s.total for s in everyone]
    rows: dict[str, Row] = {}
    if reviewer:
        result = readiness(scheme, application.year, tenant_metrics(Period.year(application.year)))
        submitted = {i["code"]: i for g in ((application.snapshot or {}).get("readiness") or {}).get("groups", [])
                     for i in g.get("items", [])}
        rows = {r.item.code: Row(r.item, item_max(r.item), submitted.get(r.item.code), r)
                for g in result.groups for r in g.items}
    city = level_of(user, tenant) == "city"
    decided_by, decided_at = _verdict(application)
    return Panel(
        scheme=scheme, groups=[(g, [rows[i.code] for i in g.items]) for g in scheme.groups] if rows else [],
        sheets=sheets, mine=mine, hidden=len(everyone) - len(sheets), count=len(everyone),
        average=round(sum(totals) / len(totals), 2) if totals and all_seen else None,
        spread=round(max(totals) - min(totals), 2) if totals and all_seen else None,
        may_score=open_ and city, may_decide=open_ and city and bool(everyone) and all_seen,
        passed=application.panel_passed, reason=application.panel_reason or "", decided_by=decided_by,
        decided_at=decided_at, year=application.year)
