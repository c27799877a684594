"""Readiness pages: the score against a scheme, item by item with what is missing; manual
declarations with evidence; reviewers' overrides; the schemes a tenant is assessed against."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files
from saas.auth.permissions import permission_required
from saas.charts import line
from saas.extensions import db
from saas.templating import locale_code, whole_page
from tenants.members.models import Enterprise
from tenants.metrics.service import tenant_metrics
from tenants.training.coverage import Period

from .blueprint import bp
from .models import Declaration
from .service import applicable, choose, chosen_codes, default_scheme, dial, history, per_enterprise, readiness, schemes


def _year() -> int:
    year = request.args.get("year", date.today().year, type=int)
    return year if 2000 <= year <= 2100 else date.today().year


def _scheme(code: str | None):
    """The scheme asked for, among those of the tenant's set of standards (another set's: 404)."""
    if code is None:
        scheme = default_scheme(g.tenant)
        if scheme is None:
            abort(404)
        return scheme
    scheme = schemes().get(code)
    if scheme is None or scheme not in applicable(g.tenant):
        abort(404)
    return scheme


@bp.route("/")
@permission_required("readiness.view")
def index():
    """Served whole from the tenant cache while the tenant's data has not changed, per scheme
    asked for, year, user, role and language (saas/templating.py whole_page): the forms on it
    carry the CSRF stand-in (page_csrf), filled per request."""
    code = request.args.get("scheme")
    if code is not None and code not in schemes():
        abort(404)  # no such scheme: not a key to keep pages under (another set's: 404 in _scheme)
    year = _year()
    return whole_page("readiness", (code, year), lambda: _page(_scheme(code), year))


def _page(scheme, year: int) -> str:
    context = {"scheme": scheme, "year": year, "locale": locale_code(),
               "options": applicable(g.tenant), "chosen": chosen_codes(g.tenant)}
    if scheme.per_enterprise:
        results = per_enterprise(scheme, year)
        names = dict(db.session.execute(sa.select(Enterprise.id, Enterprise.name)).all())
        rows = sorted(((names.get(eid, "?"), r) for eid, r in results), key=lambda x: (-x[1].total, x[0]))
        return render_template("schemes/enterprises.html", rows=rows,
                               passing=sum(1 for _n, r in rows if r.passed), **context)
    metrics = tenant_metrics(Period.year(year))
    result = readiness(scheme, year, metrics)
    snaps = history(scheme.code, year)
    chart = line([s.day.isoformat() for s in snaps], [(_("Score"), [s.score for s in snaps])],
                 _("Score over time"), (0, result.maximum)) if len(snaps) > 1 else None
    return render_template("schemes/readiness.html", result=result, metrics=metrics, chart=chart,
                           dial=dial(scheme, result), **context)


@bp.route("/schemes", methods=["POST"])
@permission_required("settings.manage")
def choose_schemes():
    choose(g.tenant, request.form.getlist("scheme"))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("readiness.index"))


def _item(code: str, year: int, item_code: str):
    scheme = _scheme(code)
    item = scheme.item(item_code)
    if item is None or not item.manual or scheme.per_enterprise:
        abort(404)
    declaration = db.session.scalar(sa.select(Declaration).where(
        Declaration.scheme == scheme.code, Declaration.year == year, Declaration.item == item.code))
    return scheme, item, declaration


@bp.route("/<code>/<int:year>/items/<item_code>", methods=["POST"])
@permission_required("readiness.declare")
def declare(code, year, item_code):
    scheme, item, declaration = _item(code, year, item_code)
    declaration = declaration or Declaration(scheme=scheme.code, year=year, item=item.code)
    declaration.met = request.form.get("met") == "1"
    declaration.note = (request.form.get("note") or "").strip()[:2000]
    db.session.add(declaration)
    db.session.flush()
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            files.store(upload, "declaration", declaration.id, item.code, user_id=current_user.id)
        db.session.commit()
        flash(_("Saved."), "success")
    except files.UploadError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("readiness.index", scheme=scheme.code, year=year) + f"#item-{item.code}")


@bp.route("/<code>/<int:year>/items/<item_code>/override", methods=["POST"])
@permission_required("readiness.override")
def override(code, year, item_code):
    scheme, item, declaration = _item(code, year, item_code)
    declaration = declaration or Declaration(scheme=scheme.code, year=year, item=item.code)
    raw = (request.form.get("points") or "").strip()
    try:
        points = float(raw) if raw else None
        if points is not None and not 0 <= points <= max(item.points, 1):
            raise ValueError
    except ValueError:
        flash(_("Points must be between 0 and %(max)s.", max=f"{max(item.points, 1):g}"), "danger")
        return redirect(url_for("readiness.index", scheme=scheme.code, year=year) + f"#item-{item.code}")
    declaration.override_points = points
    declaration.override_note = (request.form.get("note") or "").strip()[:2000]
    declaration.overridden_by_id = current_user.id if points is not None else None
    db.session.add(declaration)
    db.session.commit()
    flash(_("Override saved.") if points is not None else _("Override removed."), "success")
    return redirect(url_for("readiness.index", scheme=scheme.code, year=year) + f"#item-{item.code}")


@bp.route("/<code>/<int:year>/items/<item_code>/files/<int:attachment_id>")
@permission_required("readiness.view")
def evidence(code, year, item_code, attachment_id):
    _scheme_, _item_, declaration = _item(code, year, item_code)
    if declaration is None:
        abort(404)
    return files.send(files.get_for_owner(attachment_id, "declaration", declaration.id))
