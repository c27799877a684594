"""The expert panel's routes on the applications blueprint: an expert's score sheet, the panel's
verdict, and the panel's data for templates/applications/_scoring.html (a template global, so the
application page's own view need not know about it)."""

from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.auth.permissions import can, permission_required
from saas.extensions import db

from . import scoring
from .models import Application
from .services import ApplicationError
from .views import bp

DRAFT = "scoring_draft"  # what a refused post typed, shown again once in the form it came from


def _application(application_id: int) -> Application:
    return db.get_or_404(Application, application_id)


def _back(application: Application, anchor: str = "scoring"):
    return redirect(url_for("applications.show", application_id=application.id) + f"#{anchor}")


def _refused(application: Application, exc: ApplicationError, form: str) -> None:
    """Roll back, say what is wrong, and keep what was typed for the form (once). The session is
    a cookie: it keeps the typed values, short, and the messages of the fields other than points;
    the points' messages are worked out again from the values when the form is drawn."""
    db.session.rollback()
    fields = getattr(exc, "fields", {})
    points = [name.removeprefix("points-") for name in fields if name.startswith("points-")]
    if len(points) > 1:
        flash(_("Points to correct, items %(codes)s: each is marked in the form.", codes=", ".join(points)),
              "danger")
    for name, message in fields.items() if fields else [("", str(exc))]:
        if len(points) < 2 or not name.startswith("points-"):
            flash(message, "danger")
    typed = {k: v[:40] for k, v in request.form.items() if k.startswith("points-") or k in ("scorer", "passed")}
    if form == "verdict":
        typed["reason"] = request.form.get("reason", "")[:300]
    session[DRAFT] = {"application": application.id, "form": form, "values": typed,
                      "errors": {k: v for k, v in fields.items() if not k.startswith("points-")}}


@bp.route("/<int:application_id>/scores", methods=["POST"])
@permission_required("applications.review")
def review_scores(application_id):
    """One expert's sheet, every item at once: the reviewer's own, or (a name given in
    `scorer`) the paper sheet of an expert without an account."""
    application = _application(application_id)
    expert = request.form.get("scorer", "")
    try:
        scoring.save_sheet(application, request.form, current_user, g.tenant, expert)
        db.session.commit()
    except ApplicationError as exc:
        _refused(application, exc, "named" if expert.strip() else "own")
        return _back(application)
    flash(_("Scores saved."), "success")
    return _back(application)


@bp.route("/<int:application_id>/panel-verdict", methods=["POST"])
@permission_required("applications.review")
def panel_verdict(application_id):
    application = _application(application_id)
    try:
        scoring.record_verdict(application, request.form.get("passed", ""), request.form.get("reason", ""),
                               current_user, g.tenant)
        db.session.commit()
    except ApplicationError as exc:
        _refused(application, exc, "verdict")
        return _back(application, "panel-verdict")
    flash(_("The panel's verdict is recorded."), "success")
    return _back(application, "panel-verdict")


def scoring_panel(application: Application) -> dict:
    """The panel for the page, with what a refused post typed (once) in place of the saved values."""
    draft = session.get(DRAFT)
    if draft is not None:
        session.pop(DRAFT)
    if not draft or draft.get("application") != application.id:
        draft = {}
    panel = scoring.panel(application, current_user, g.tenant, can("applications.review"))
    if draft.get("form") in ("own", "named"):
        draft["errors"] = {**draft.get("errors", {}), **scoring.parse_sheet(panel.scheme, draft["values"])[1]}
    named = request.args.get("expert", "").strip()  # a named expert's paper sheet, to correct it
    sheet = next((s for s in panel.sheets if s.named and s.name == named and s.entered_by_id == current_user.id),
                 None)
    return {"panel": panel, "draft": draft, "named": sheet}


@bp.context_processor
def _scoring_globals():
    return {"scoring_panel": scoring_panel}
