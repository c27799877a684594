"""The bureau's jurisdiction view (/bureau): tenants with their figures, targets by year with
progress (LC-1), the CQ-4 indicator, an .xlsx export. Read-only into tenant data."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from saas import files, xlsx
from saas.charts import against_targets
from saas.extensions import db
from saas.numbers import whole
from saas.pagination import page_number, paginate_list
from saas.replica import replica_reads
from saas.tenancy import Bureau
from saas.templating import across_page, locale_code
from saas.tenant_cache import cached_across
from tenants.applications.services import status_labels
from tenants.plans.services import YEARS

from .models import BureauTarget
from .service import RECOGNISED_BASES_INDICATOR, jurisdiction, remember_stamp, stamp, target, totals  # noqa: F401

bp = Blueprint("bureau", __name__, url_prefix="/bureau")
TARGET_FIELDS = ("bases", "stations", "demonstration_units", "adopted_standard", "liaison_enterprises")
TARGET_MAX = 1_000_000  # bases, stations or enterprises of one jurisdiction: far more than any has


def target_labels() -> dict:
    return {"bases": _("Recognised bases"), "stations": _("Guidance stations"),
            "demonstration_units": _("Demonstration units"),
            "adopted_standard": _("Members that adopted the local standard"),
            "liaison_enterprises": _("Liaison enterprises")}


def _bureau() -> Bureau:
    if not current_user.is_reviewer:
        abort(403)
    return db.session.get(Bureau, current_user.bureau_id)


def _year() -> int:
    year = request.args.get("year", date.today().year, type=whole(YEARS[0], YEARS[-1]))
    return year if year in YEARS else date.today().year


@bp.route("/")
@login_required
@replica_reads
def index():
    bureau, year = _bureau(), _year()
    # A province lists hundreds of bases: fifty a page, found by name; the totals count them all.
    q = (request.args.get("q") or "").strip()[:100]
    goal = target(bureau, year)
    # Kept whole under what it shows: the stamp of the bases under the bureau (each one's id,
    # bureau, status and data version: service.stamp, one row), the year's targets, the search and
    # the page — a write in any base or a new target shows at once; the rows are read only to
    # render it.
    version = stamp(bureau.id)
    remember_stamp(bureau.id, version)  # the top bar's pending count is kept under it too
    goals = tuple(getattr(goal, f) for f in TARGET_FIELDS) if goal is not None else None
    return across_page("bureau.index", (bureau.id, bureau.name, year, q, page_number(), version, goals),
                       lambda: _render_index(bureau, year, q, goal))


def _render_index(bureau: Bureau, year: int, q: str, goal: BureauTarget | None) -> str:
    rows = jurisdiction(bureau, year)
    page = paginate_list([r for r in rows if q in r.tenant.name] if q else rows)
    sums = totals(rows)
    table = Markup(render_template("bureau/_index_table.html", rows=page.items, page=page, q=q, year=year,
                                   base_row=_base_row(year)))
    return render_template("bureau/index.html", bureau=bureau, year=year, table=table, totals=sums,
                           target=goal, fields=TARGET_FIELDS, indicator=RECOGNISED_BASES_INDICATOR,
                           labels=target_labels(), years=YEARS, target_max=TARGET_MAX, chart=progress_chart(sums, goal))


def progress_chart(sums: dict, goal: BureauTarget | None) -> str | None:
    """The jurisdiction's totals against the year's targets the bureau set (none set: no chart,
    no target invented), on one scale — share of each target."""
    labels = target_labels()
    rows = [(str(labels[f]), sums[f], getattr(goal, f)) for f in TARGET_FIELDS
            if goal is not None and getattr(goal, f)]
    return against_targets(rows) if rows else None


def _base_row(year: int):
    """A base's row of the table, rendered once per state of that base: after a write in one base
    of a province the table is put together again from the other rows as they were."""
    macro, app_status = get_template_attribute("bureau/_index_base.html", "base_row"), status_labels()

    def row_html(r) -> Markup:
        base = r.tenant
        return cached_across("bureau.index.base", (base.id, base.version, base.slug, base.name, year, locale_code()),
                             lambda: Markup(macro(r, app_status)))

    return row_html


@bp.route("/targets/<int:year>", methods=["POST"])
@login_required
def save_target(year):
    bureau = _bureau()
    if year not in YEARS:  # the page offers no other year; a target out of them could not be seen again
        abort(404)
    store_target(bureau, year)
    return redirect(url_for("bureau.index", year=year))


def store_target(bureau: Bureau, year: int) -> bool:
    """The form's targets of `bureau` for `year` (empty: none set), or a message and nothing saved."""
    row = target(bureau, year) or BureauTarget(bureau_id=bureau.id, year=year)
    count = whole(0, TARGET_MAX)
    for field in TARGET_FIELDS:
        raw = (request.form.get(field) or "").strip()
        try:
            setattr(row, field, count(raw) if raw else None)
        except ValueError:
            db.session.rollback()
            flash(_("%(field)s: a whole number from 0 to %(max)d.", field=target_labels()[field], max=TARGET_MAX),
                  "danger")
            return False
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # the same year's target created by a second submission meanwhile
        db.session.rollback()
        flash(_("Someone else saved these targets at the same time: check them and save again."), "warning")
        return False
    flash(_("Saved."), "success")
    return True


@bp.route("/export.xlsx")
@login_required
@replica_reads
def export():
    bureau, year = _bureau(), _year()
    rows = jurisdiction(bureau, year)
    book = xlsx.Book()
    ws = book.sheet(_("Jurisdiction"))
    xlsx.append(ws, [_("%(bureau)s — bases in the jurisdiction, %(year)d", bureau=bureau.name, year=year),
                     _("Exported %(time)s", time=f"{datetime.now():%Y-%m-%d %H:%M}")])
    xlsx.append(ws, [_("Base"), _("Active members"), _("Demonstration units"), _("Members that adopted the local standard"),
                     _("Trained enterprise ratio"), _("Guidance stations"), _("Readiness"), _("Application"),
                     _("Recognised")])
    for r in rows:
        xlsx.append(ws, [r.tenant.name, r.active, r.demonstration, r.adopted,
                         round(r.trained_ratio, 4) if r.trained_ratio is not None else None, r.stations,
                         f"{r.score:g}/{r.maximum:g}" if r.score is not None else "", r.application,
                         _("yes") if r.recognised else _("no")])
    return files.download(book.to_bytes(), _("jurisdiction") + f"-{year}.xlsx")
