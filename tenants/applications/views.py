"""Application pages: start, write the narrative, check what is missing, preview and submit;
the reviewers' steps on the same page."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files
from saas.auth.permissions import can, permission_required
from saas.extensions import db
from saas.jobs import QueueUnavailable
from saas.numbers import MAX_ID, whole
from saas.templating import locale_code
from saas.tenancy import tenant_blueprint
from tenants.plans.services import YEARS
from tenants.schemes.service import base_schemes, schemes
from tenants.settings.forms import ConfirmForm

from . import changes, docx_export, dossier, timeline
from .flow import action_label, available, step_labels
from .models import SECTIONS, Application, ApplicationVersion
from .services import ApplicationError, status_labels, checklist, save_sections, start, submit
from .tasks import certificate_path, preview_pdf, version_pdf

bp = tenant_blueprint("applications", __name__, "/applications")


@bp.context_processor
def _labels():
    return {"app_status": status_labels(), "step_labels": step_labels()}


def _application(application_id: int) -> Application:
    return db.get_or_404(Application, application_id)


def _back(application: Application):
    return redirect(url_for("applications.show", application_id=application.id))


@contextmanager
def _transaction(success: str):
    """One form post, one transaction: commit and say `success`, or roll back and show the
    user why the service refused (an ApplicationError's message is written for them)."""
    try:
        yield
        db.session.commit()
        flash(success, "success")
    except ApplicationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")


@bp.route("/")
@permission_required("applications.view")
def index():
    rows = db.session.scalars(sa.select(Application).order_by(Application.year.desc(), Application.id.desc())).all()
    options = base_schemes(g.tenant)
    titles = {code: scheme.title(locale_code()) for code, scheme in schemes().items()}  # words, not codes
    return render_template("applications/index.html", rows=rows, options=options, year=date.today().year,
                           locale=locale_code(), scheme_titles=titles)


@bp.route("/start", methods=["POST"])
@permission_required("applications.write")
def begin():
    # Not a number, or one of 5,000 digits: start() refuses it as it refuses 99999, naming the field.
    try:
        year = whole(-MAX_ID, MAX_ID)(request.form.get("year", date.today().year))
    except ValueError:
        year = -1
    try:
        application = start(g.tenant, request.form.get("scheme", ""), year)
        db.session.commit()
    except ApplicationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("applications.index"))
    return _back(application)


@bp.route("/<int:application_id>")
@permission_required("applications.view")
def show(application_id):
    application = _application(application_id)
    if application.year not in YEARS:
        return _unusable_year(application)
    data = application.snapshot if not application.editable and application.snapshot else \
        dossier.build(application, g.tenant)
    items = checklist(application, data) if application.editable else []
    versions = db.session.scalars(sa.select(ApplicationVersion).where(
        ApplicationVersion.application_id == application.id).order_by(ApplicationVersion.version.desc())).all()
    missing = {v.version for v in versions if files.stored_path(v.pdf_path) is None}  # to be made (again)
    actions = available(application, current_user, g.tenant) if can("applications.review") else []
    last_changes = changes.between(application, versions[1].version, versions[0].version) if len(versions) > 1 else None
    certificate = application.certificate_no and files.stored_path(str(certificate_path(application))) is not None
    # The last return's comments stand beside the sections while the base revises them.
    comments = timeline.latest_section_comments(application) if application.status == "returned" else {}
    return render_template("applications/show.html", application=application, data=data, checklist=items,
                           blockers=[m for level, m in items if level == "blocker"], versions=versions,
                           actions=actions, sections=SECTIONS, missing=missing, timeline=timeline.build(application),
                           comments=comments, last_changes=last_changes, certificate=certificate,
                           action_label=action_label,
                           scheme=schemes()[application.scheme], locale=locale_code(), today=date.today())


@bp.route("/<int:application_id>/sections", methods=["POST"])
@permission_required("applications.write")
def sections(application_id):
    application = _application(application_id)
    with _transaction(_("Saved.")):
        # The submissions the writer saw when the form was drawn: a stale form changes nothing.
        save_sections(application, {c: request.form.get(c, "") for c in SECTIONS},
                      request.form.get("version", type=whole(0, MAX_ID)))
    return _back(application)


@bp.route("/<int:application_id>/preview", methods=["POST"])
@permission_required("applications.view")
def preview(application_id):
    application = _application(application_id)
    try:
        record = preview_pdf.enqueue(application.id, locale_code(), key=f"preview:{application.id}:{current_user.id}",
                                     user_id=current_user.id)
    except QueueUnavailable:
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return _back(application)
    return redirect(url_for("jobs.show", job_id=record.id))


def _submit_confirmation(application: Application, error: str = "", status: int = 200):
    """Before submitting: what is still empty and what is not met, to acknowledge."""
    data = dossier.build(application, g.tenant)
    items = checklist(application, data)
    return render_template("applications/confirm_submit.html", application=application, error=error,
                           blockers=[m for level, m in items if level == "blocker"],
                           warnings=[m for level, m in items if level == "warning"],
                           empty=[o["title"] for o in data["organisation"] if not (o["text"] or "").strip()],
                           version=application.version + 1), status


@bp.route("/<int:application_id>/submit", methods=["POST"])
@permission_required("applications.write")
def submit_application(application_id):
    """First post: the confirmation (what is empty, what is not met); then the submission,
    with the unmet items acknowledged when there are any."""
    application = _application(application_id)
    if not application.editable:
        flash(_("This application is already submitted."), "danger")
        return _back(application)
    if application.year not in YEARS:
        return _unusable_year(application)
    if request.form.get("confirmed") != "yes":
        return _submit_confirmation(application)
    if request.form.get("acknowledge") != "yes":
        items = checklist(application, dossier.build(application, g.tenant))
        if any(level == "warning" for level, _m in items):
            return _submit_confirmation(application, _("Tick “I know these items are not met” to submit with them."),
                                        422)
    try:
        version = submit(application, current_user, g.tenant)
        db.session.commit()
    except ApplicationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _back(application)
    try:
        version_pdf.enqueue(application.id, version.version, key=f"dossier:{application.id}:v{version.version}",
                            user_id=current_user.id)
        flash(_("Submitted. The dossier PDF is being prepared."), "success")
    except QueueUnavailable:
        flash(_("Submitted. The PDF will be prepared when background work is available again."), "warning")
    return _back(application)


@bp.route("/<int:application_id>/versions/<int:version>/pdf")
@permission_required("applications.view")
def version_file(application_id, version):
    application = _application(application_id)
    row = db.session.scalar(sa.select(ApplicationVersion).where(ApplicationVersion.application_id == application.id,
                                                                ApplicationVersion.version == version))
    path = files.stored_path(row.pdf_path) if row is not None else None
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{application.scheme}-{application.year}-v{version}.pdf")


@bp.route("/<int:application_id>/dossier.docx")
@permission_required("applications.view")
def docx(application_id):
    """Word copy: a submitted application's frozen snapshot, else today's data."""
    application = _application(application_id)
    if application.year not in YEARS and not application.snapshot:
        return _back(application)
    data = application.snapshot if not application.editable and application.snapshot else \
        dossier.build(application, g.tenant)
    return files.download(docx_export.build(data, _("Application form")),
                          f"{application.scheme}-{application.year}.docx",
                          "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@bp.route("/<int:application_id>/versions/<int:version>/pdf", methods=["POST"])
@permission_required("applications.view")
def regenerate(application_id, version):
    """Make a submitted version's missing PDF from its frozen snapshot, in the version's language.
    A version's file, once made, never changes: asking again while it exists is refused."""
    application = _application(application_id)
    row = db.session.scalar(sa.select(ApplicationVersion).where(ApplicationVersion.application_id == application.id,
                                                                ApplicationVersion.version == version))
    if row is None:
        abort(404)
    if files.stored_path(row.pdf_path) is not None:
        flash(_("The PDF of version %(v)d exists: a submitted version's file does not change.", v=version), "warning")
        return _back(application)
    try:
        record = version_pdf.enqueue(application.id, version, key=f"dossier:{application.id}:v{version}",
                                     user_id=current_user.id)
    except QueueUnavailable:
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return _back(application)
    return redirect(url_for("jobs.show", job_id=record.id))


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _unusable_year(application: Application):
    """A draft stored with a year no period can have (before years were checked, e.g. 99999):
    its figures cannot be computed, so the page says so and offers to delete the draft."""
    form = ConfirmForm()
    may_delete = can("applications.write") and application.version == 0
    return render_template("_confirm_page.html", form=form, back=url_for("applications.index"),
                           question=_("This draft has the year %(year)d, which no work plan or period can have, so its "
                                      "figures cannot be computed. Delete the draft and start again with the right year?",
                                      year=application.year) if may_delete else
                           _("This application has the year %(year)d, which no period can have. Ask the base's "
                             "administrator to delete it.", year=application.year),
                           action=url_for("applications.delete", application_id=application.id) if may_delete else None)


@bp.route("/<int:application_id>/delete", methods=["POST"])
@permission_required("applications.write")
def delete(application_id):
    """Only a draft never submitted: nothing refers to it (no version, no review step)."""
    application = _application(application_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    gone = db.session.execute(sa.delete(Application).where(
        Application.id == application.id, Application.status == "draft", Application.version == 0)
        .execution_options(synchronize_session=False)).rowcount
    if not gone:
        flash(_("Only a draft that was never submitted can be deleted."), "danger")
        return _back(application)
    db.session.commit()
    flash(_("The draft is deleted."), "success")
    return redirect(url_for("applications.index"))
