"""The roll-up pages (/bureau/rollup): the jurisdiction as a tree with the year's totals and
targets at each level, drill-down to a bureau's subtree or a base, the .xlsx export of the whole
table, and the CQ-4 indicators a district records."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from saas import files, xlsx
from saas.extensions import db
from saas.numbers import db_id
from saas.replica import replica_reads
from saas.tenancy import Bureau, utcnow
from saas.templating import locale_code
from saas.tenant_cache import cached_across
from tenants.plans.services import YEARS
from tenants.workbench.service import bureau_tree

from .indicators import CODES, QUALITATIVE, RECOGNISED_BASES_INDICATOR, RECOGNISED_BASES_POINTS, state_labels
from .models import INDICATOR_STATES, DistrictIndicator
from .rollup import FIGURES, TARGETED, can_record_indicators, figure_labels, level_labels, rollup
from .views import TARGET_FIELDS, TARGET_MAX, _bureau, _year, bp, store_target, target_labels

NOTE_MAX = 2000


def _node_arg() -> int | None:
    raw = (request.args.get("node") or "").strip()
    if not raw:
        return None
    try:
        return db_id(raw)
    except ValueError:
        abort(404)


def _load(node_id: int | None = None):
    bureau, year = _bureau(), _year()
    tree = rollup(bureau.id, year, _node_arg() if node_id is None else node_id)
    if tree is None:
        abort(404)
    return bureau, year, tree


def _path(tree) -> list:
    """The bureaus from the reviewer's own down to the node shown (the breadcrumb)."""
    by_id = {r.id: r for r in tree.tree}
    out, at = [], by_id.get(tree.root.id)
    while at is not None:
        out.append(at)
        at = by_id.get(at.parent_id) if at.id != tree.tree[0].id else None
    return list(reversed(out))


@bp.route("/rollup")
@login_required
@replica_reads
def rollup_page():
    bureau, year, tree = _load()
    # The table is rendered once per state of what it shows (tree.version: the bases' data
    # versions, the bureaus' targets and items); "Record" or "View" depends on the reviewer's own
    # bureau, which the key holds.
    table = cached_across("bureau.rollup", (bureau.id, tree.root.id, year, locale_code(), tree.version), lambda: Markup(
        render_template("bureau/_rollup_table.html", year=year, tree=tree, figures=FIGURES, targeted=TARGETED,
                        labels=figure_labels(), levels=level_labels(), indicator=RECOGNISED_BASES_INDICATOR,
                        codes=CODES, states=state_labels(), base_line=_base_line(year),
                        can_record=lambda n: can_record_indicators(current_user, n, tree.own_level))))
    return render_template("bureau/rollup.html", bureau=bureau, year=year, tree=tree, path=_path(tree), table=table,
                           years=YEARS, target_fields=TARGET_FIELDS, target_labels=target_labels(),
                           target_max=TARGET_MAX)


def _base_line(year: int):
    """A base's line of the table, rendered once per state of that base: after a write in one
    base of a province, the table is put together again from the others' lines as they were."""
    macro = get_template_attribute("bureau/_rollup_base.html", "base_row")
    labels = level_labels()

    def line_html(line, show_cq4: bool) -> Markup:
        base = line.row.tenant
        return cached_across("bureau.rollup.base", (base.id, base.version, base.slug, line.name, line.depth, year,
                                                    locale_code(), show_cq4),
                             lambda: Markup(macro(line, FIGURES, labels, show_cq4)))

    return line_html


@bp.route("/rollup.xlsx")
@login_required
@replica_reads
def rollup_export():
    bureau, year, tree = _load()
    labels, levels, states = figure_labels(), level_labels(), state_labels()
    book = xlsx.Book()
    sheet = book.sheet(_("Roll-up"))
    sheet.append([_("%(bureau)s — roll-up of the jurisdiction, %(year)d", bureau=tree.root.name, year=year),
               _("Exported %(time)s", time=f"{datetime.now():%Y-%m-%d %H:%M}")])
    head = [_("Level"), _("Name"), _("Parent")]
    for f in FIGURES:
        head.append(labels[f])
        if f in TARGETED:
            head.append(_("Target: %(figure)s", figure=labels[f]))
    head += [_("CQ-4: at least %(n)d recognised bases", n=RECOGNISED_BASES_INDICATOR)]
    head += [str(QUALITATIVE[c][0]) for c in CODES]
    sheet.append(head, bold=True)
    for line in tree.lines:
        cells = [levels.get(line.level, line.level), line.name, line.parent]
        for f in FIGURES:
            cells.append(line.figures[f])
            if f in TARGETED:
                cells.append(line.node.goal(f) if line.node is not None else None)
        if line.node is not None and line.node.cq4:
            cells.append(_("yes") if line.node.cq4_bases_met else _("no"))
            cells += [states.get(line.node.indicators[c].state, "") if c in line.node.indicators else ""
                      for c in CODES]
        sheet.append(cells)
    return files.download(book.to_bytes(), _("roll-up") + f"-{year}.xlsx")


@bp.route("/rollup/<int:bureau_id>/targets/<int:year>", methods=["POST"])
@login_required
def rollup_target(bureau_id, year):
    """The targets of a bureau of the jurisdiction: its own, or a district's quotas set by its
    city (WH-4). Every reviewer whose jurisdiction holds the bureau may set them."""
    if year not in YEARS:
        abort(404)
    if bureau_id not in {r.id for r in bureau_tree(_bureau().id)}:
        abort(404)
    store_target(db.session.get(Bureau, bureau_id), year)
    return redirect(url_for("bureau.rollup_page", node=bureau_id, year=year))


def _district(bureau_id: int, year: int):
    """The district (within the reviewer's tree) whose CQ-4 items the reviewer records, or 404."""
    if year not in YEARS:
        abort(404)
    bureau = _bureau()
    tree = rollup(bureau.id, year, bureau_id)
    if tree is None or not tree.root.is_district:
        abort(404)
    return tree


@bp.route("/districts/<int:bureau_id>/indicators/<int:year>", methods=["GET", "POST"])
@login_required
def indicators(bureau_id, year):
    tree = _district(bureau_id, year)
    node = tree.root
    editable = can_record_indicators(current_user, node, tree.own_level)
    errors: dict[str, str] = {}
    values = {c: (node.indicators[c].state if c in node.indicators else "",
                  node.indicators[c].note if c in node.indicators else "") for c in CODES}
    if request.method == "POST":
        if not editable:
            abort(403)
        for code in CODES:
            state = (request.form.get(f"state-{code}") or "").strip()
            note = (request.form.get(f"note-{code}") or "").strip()
            if state and state not in INDICATOR_STATES:
                errors[code] = _("Choose one of the states offered.")
            elif len(note) > NOTE_MAX:
                errors[code] = _("At most %(n)d characters.", n=NOTE_MAX)
            elif note and not state:
                errors[code] = _("Choose a state for this item, or clear the note.")
            values[code] = (state, note)
        if not errors:
            try:
                _save(node, year, values)
            except IntegrityError:  # a second submission recorded the same items at the same moment
                db.session.rollback()
                flash(_("Someone else saved these indicators at the same time: check them and save again."),
                      "warning")
                return redirect(url_for("bureau.indicators", bureau_id=node.id, year=year))
            flash(_("Saved."), "success")
            return redirect(url_for("bureau.rollup_page", node=node.id, year=year))
        flash(_("Correct the items marked below."), "danger")
    return render_template("bureau/indicators.html", node=node, year=year, codes=CODES, items=QUALITATIVE,
                           states=state_labels(), values=values, errors=errors, editable=editable,
                           indicator=RECOGNISED_BASES_INDICATOR, points=RECOGNISED_BASES_POINTS,
                           note_max=NOTE_MAX), 422 if errors else 200


def _save(node, year: int, values: dict) -> None:
    """Writes what changed only: the same form sent twice writes nothing the second time."""
    rows = {r.code: r for r in db.session.scalars(sa.select(DistrictIndicator).where(
        DistrictIndicator.bureau_id == node.id, DistrictIndicator.year == year))}
    for code, (state, note) in values.items():
        row = rows.get(code)
        if not state:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = DistrictIndicator(bureau_id=node.id, year=year, code=code, state=state, note=note)
            db.session.add(row)
        elif (row.state, row.note) == (state, note):
            continue
        row.state, row.note = state, note
        row.updated_by_id, row.updated_at = current_user.id, utcnow()
    db.session.commit()
