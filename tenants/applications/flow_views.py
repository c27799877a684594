"""The reviewers' buttons and what the base reads of them: a decision is pressed on the
application page, confirmed on a page that restates what it does (no script needed), then carried
out; the certificate PDF; what changed between two versions."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files
from saas.auth.permissions import permission_required
from saas.extensions import db
from saas.jobs import QueueUnavailable
from saas.numbers import MAX_ID
from tenants.recognition.services import grounds_labels

from . import changes
from .dossier import section_title
from .flow import NEEDS_OPINION, STEPS, Decision, action_label, available, consequence, decide
from .models import SECTIONS, Application, ApplicationVersion, Objection
from .services import ApplicationError
from .tasks import certificate_path, certificate_pdf
from .views import _application, _back, _date, bp


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def decision_from_form(form) -> Decision:
    return Decision(
        action=(form.get("action") or "").strip(), opinion=(form.get("opinion") or "").strip()[:5000],
        section_comments={c: form.get(f"comment-{c}", "")[:2000] for c in SECTIONS if form.get(f"comment-{c}", "").strip()},
        notice_start=_date(form.get("notice_start")), certificate_no=(form.get("certificate_no") or "")[:64],
        recognised_on=_date(form.get("recognised_on")), issued_by=(form.get("issued_by") or "")[:200],
        grounds=form.get("grounds") or "", objection_id=_int(form.get("objection_id")),
        received_on=_date(form.get("received_on")), renewed_on=_date(form.get("renewed_on")))


def _confirm(application: Application, d: Decision, error: str = "", status: int = 200):
    open_objections = db.session.scalars(sa.select(Objection).where(
        Objection.application_id == application.id, Objection.resolved_on.is_(None))
        .order_by(Objection.received_on)).all()
    return render_template("applications/confirm_decision.html", application=application, d=d, error=error,
                           label=action_label(application.status, d.action), consequence=consequence(application, d,
                                                                                                   current_user),
                           needs_opinion=d.action in NEEDS_OPINION, is_step=d.action in STEPS,
                           section_titles={c: section_title(c) for c in SECTIONS}, objections=open_objections,
                           grounds=grounds_labels(),
                           bureau=current_user.bureau.name if current_user.bureau else "",
                           today=date.today()), status


@bp.route("/<int:application_id>/decide", methods=["POST"])
@permission_required("applications.review")
def decision(application_id):
    """First post: the confirmation page, saying what the button does. Second (confirmed):
    carry it out — the move is compare-and-set, so of two reviewers confirming at once one
    moves the application and the other is told it moved."""
    application = _application(application_id)
    d = decision_from_form(request.form)
    if d.action not in available(application, current_user, g.tenant):
        flash(_("This step is not open to you now."), "danger")
        return _back(application)
    if request.form.get("confirmed") != "yes":
        return _confirm(application, d)
    try:
        words = decide(application, d, current_user, g.tenant)
        db.session.commit()
    except ApplicationError as exc:
        db.session.rollback()
        if exc.conflict:
            flash(str(exc), "danger")
            return _back(application)
        return _confirm(db.session.get(Application, application_id), d, str(exc), 422)
    flash(_("Done: %(action)s.", action=words), "success")
    if application.status == "recognised" and d.action in ("approve", "renew"):
        _certificate_job(application)
    return _back(application)


def _certificate_job(application: Application):
    try:
        return certificate_pdf.enqueue(application.id, key=f"certificate:{certificate_path(application).name}",
                                       user_id=current_user.id)
    except QueueUnavailable:
        flash(_("The certificate PDF will be prepared when background work is available again."), "warning")
        return None


@bp.route("/<int:application_id>/certificate.pdf")
@permission_required("applications.view")
def certificate(application_id):
    application = _application(application_id)
    path = files.stored_path(str(certificate_path(application))) if application.certificate_no else None
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{application.scheme}-{application.year}-certificate.pdf")


@bp.route("/<int:application_id>/certificate", methods=["POST"])
@permission_required("applications.view")
def make_certificate(application_id):
    """Make the certificate PDF when it is not there (queue down at recognition, file lost)."""
    application = _application(application_id)
    if application.status not in ("recognised", "lapsed", "revoked") or not application.certificate_no:
        flash(_("There is no recognition to certify."), "danger")
        return _back(application)
    if files.stored_path(str(certificate_path(application))) is not None:
        return redirect(url_for("applications.certificate", application_id=application.id))
    record = _certificate_job(application)
    return redirect(url_for("jobs.show", job_id=record.id)) if record is not None else _back(application)


@bp.route("/<int:application_id>/changes")
@permission_required("applications.view")
def version_changes(application_id):
    """What changed between two submitted versions (default: the last two)."""
    application = _application(application_id)
    numbers = sorted(db.session.scalars(sa.select(ApplicationVersion.version).where(
        ApplicationVersion.application_id == application.id)).all())
    if len(numbers) < 2:
        flash(_("There is only one submitted version: nothing to compare yet."), "info")
        return _back(application)
    new = request.args.get("to", type=_int) or numbers[-1]
    old = request.args.get("from", type=_int) or max((n for n in numbers if n < new), default=None)
    result = changes.between(application, old, new) if old is not None else None
    if result is None:
        abort(404)
    return render_template("applications/changes.html", application=application, diff=result, numbers=numbers)
