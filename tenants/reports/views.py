"""Report pages: the list (by year, type, status, due date, overdue), a report (figures, the
narrative to edit, submit with confirmation, history, PDF and DOCX), and the bureau's decision
on the same page."""

from __future__ import annotations

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
from saas.replica import replica_reads
from saas.templating import locale_code
from saas.tenancy import tenant_blueprint
from saas.numbers import whole
from tenants.plans.services import YEARS
from tenants.schemes.standards import REPORT_TYPES

from . import docx_export
from .models import PeriodicReport, ReportEvent, ReportVersion
from .services import (ReportError, build, decide, kind_title, kinds_of, overdue, save_sections, start,
                       status_labels, submit, empty_sections)
from .tasks import preview_pdf, version_path, version_pdf

bp = tenant_blueprint("reports", __name__, "/reports")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.context_processor
def _labels():
    return {"report_status": status_labels(), "kind_title": kind_title}


def _report(report_id: int) -> PeriodicReport:
    """The report; for the bureau (who may not edit it), only one the base has submitted once:
    a draft never sent is the base's own work in progress."""
    report = db.get_or_404(PeriodicReport, report_id)
    if report.version == 0 and not can("reports.edit"):
        abort(404)
    return report


def _back(report: PeriodicReport):
    return redirect(url_for("reports.show", report_id=report.id))


def _year_arg() -> int | None:
    return request.args.get("year", None, type=whole(YEARS.start, YEARS.stop - 1))


@bp.route("/")
@permission_required("reports.view")
@replica_reads
def index():
    """Every report of the base, and for the shown years the reports its standards ask for that
    were not started: one statement for the rows whatever their number."""
    today = date.today()
    year = _year_arg()
    select = sa.select(PeriodicReport).order_by(PeriodicReport.year.desc(), PeriodicReport.period_end.desc(),
                                                PeriodicReport.id.desc())
    if year is not None:
        select = select.where(PeriodicReport.year == year)
    reports = db.session.scalars(select).all()
    kinds = kinds_of(g.tenant)
    have = {(r.kind, r.year) for r in reports}
    years = [year] if year is not None else sorted({today.year, today.year - 1} | {r.year for r in reports},
                                                   reverse=True)
    rows = []
    editor = can("reports.edit")
    for r in reports:
        rows.append({"report": r if editor or r.version > 0 else None, "kind": r.kind, "year": r.year, "due_on": r.due_on, "status": r.status,
                     "overdue": overdue(r, r.due_on, today)})
    for y in years:
        for k in kinds:
            if (k.key, y) not in have and y >= max(today.year - 1, g.tenant.created_at.year):
                due_on = k.due_on(y)
                rows.append({"report": None, "kind": k.key, "year": y, "due_on": due_on, "status": "not_started",
                             "overdue": overdue(None, due_on, today)})
    rows.sort(key=lambda r: (-r["year"], r["due_on"] or date.max, r["kind"]))
    return render_template("reports/index.html", rows=rows, kinds=kinds, year=year or today.year, years=YEARS,
                           today=today, filtered=year is not None)


@bp.route("/start", methods=["POST"])
@permission_required("reports.edit")
def begin():
    try:
        year = whole(-MAX_ID, MAX_ID)(request.form.get("year", date.today().year))
    except ValueError:
        year = -1
    try:
        report = start(g.tenant, request.form.get("kind", ""), year)
        db.session.commit()
    except ReportError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("reports.index"))
    return _back(report)


def due(year: int, kind: str):
    """The report a deadline names (the calendar feed and the reminders link here): the
    deadline's year is the report's, or the next one for last year's work report (TJ-6)."""
    report_type = REPORT_TYPES[kind]
    report_year = year - report_type.due_offset
    report = db.session.scalar(sa.select(PeriodicReport).where(PeriodicReport.kind == kind,
                                                               PeriodicReport.year == report_year))
    if report is not None and (report.version > 0 or can("reports.edit")):
        return _back(report)
    return redirect(url_for("reports.index", year=report_year))


def _due_view(key: str):
    @permission_required("reports.view")
    def view(year: int):
        return due(year, key)

    view.__name__ = f"due_{key}"
    return view


for _key in REPORT_TYPES:  # one endpoint per type: a Dated names its link by endpoint and year only
    bp.add_url_rule(f"/due/{_key}/<int:year>", endpoint=f"due_{_key}", view_func=_due_view(_key))


@bp.route("/<int:report_id>")
@permission_required("reports.view")
@replica_reads
def show(report_id):
    report = _report(report_id)
    frozen = not report.editable and report.snapshot
    data = report.snapshot if frozen else build(report, g.tenant)
    versions = db.session.scalars(sa.select(ReportVersion).where(ReportVersion.report_id == report.id)
                                  .order_by(ReportVersion.version.desc())).all()
    events = db.session.scalars(sa.select(ReportEvent).where(ReportEvent.report_id == report.id)
                                .options(sa.orm.selectinload(ReportEvent.user)).order_by(ReportEvent.id)).all()
    made = {v.version for v in versions if files.stored_path(str(version_path(report.id, v.version))) is not None}
    return render_template("reports/show.html", report=report, data=data, frozen=frozen, versions=versions,
                           events=events, made=made, today=date.today(), locale=locale_code(),
                           overdue=overdue(report, report.due_on, date.today()),
                           may_edit=can("reports.edit") and report.editable,
                           may_decide=can("reports.decide") and report.status == "submitted")


@bp.route("/<int:report_id>/sections", methods=["POST"])
@permission_required("reports.edit")
def sections(report_id):
    report = _report(report_id)
    try:
        save_sections(report, {c: request.form.get(c) for c in (report.sections or {})},
                      request.form.get("version", type=whole(0, MAX_ID)))
        db.session.commit()
        flash(_("Saved."), "success")
    except ReportError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return _back(report)


@bp.route("/<int:report_id>/submit", methods=["POST"])
@permission_required("reports.edit")
def submit_report(report_id):
    """First post: the confirmation; then the submission."""
    report = _report(report_id)
    if not report.editable:
        flash(_("This report is already submitted."), "danger")
        return _back(report)
    if request.form.get("confirmed") != "yes":
        data = build(report, g.tenant)
        return render_template("reports/confirm_submit.html", report=report, empty=empty_sections(data),
                               version=report.version + 1)
    try:
        version = submit(report, current_user, g.tenant)
        db.session.commit()
    except ReportError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _back(report)
    try:
        version_pdf.enqueue(report.id, version.version, key=f"report:{report.id}:v{version.version}",
                            user_id=current_user.id)
        flash(_("Submitted to the bureau. The PDF is being prepared."), "success")
    except QueueUnavailable:
        flash(_("Submitted to the bureau. The PDF will be prepared when background work is available again."),
              "warning")
    return _back(report)


@bp.route("/<int:report_id>/decide", methods=["POST"])
@permission_required("reports.decide")
def decide_report(report_id):
    """The bureau's answer: accept, or return with comments; the first post asks to confirm."""
    report = _report(report_id)
    outcome, comment = request.form.get("outcome", ""), request.form.get("comment", "")
    if request.form.get("confirmed") != "yes":
        error = ""
        if outcome == "returned" and not comment.strip():
            error = _("Say what the base should revise: a comment is required to return a report.")
        elif outcome not in ("accepted", "returned"):
            error = _("Choose to accept or to return the report.")
        return render_template("reports/confirm_decision.html", report=report, outcome=outcome, comment=comment,
                               error=error), 422 if error else 200
    try:
        decide(report, outcome, comment, current_user)
        db.session.commit()
        flash(_("Accepted.") if outcome == "accepted" else _("Returned to the base with your comments."), "success")
    except ReportError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return _back(report)


@bp.route("/<int:report_id>/preview", methods=["POST"])
@permission_required("reports.view")
def preview(report_id):
    report = _report(report_id)
    try:
        record = preview_pdf.enqueue(report.id, locale_code(), key=f"report-preview:{report.id}:{current_user.id}",
                                     user_id=current_user.id)
    except QueueUnavailable:
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return _back(report)
    return redirect(url_for("jobs.show", job_id=record.id))


@bp.route("/<int:report_id>/versions/<int:version>/pdf")
@permission_required("reports.view")
def version_file(report_id, version):
    report = _report(report_id)
    row = db.session.scalar(sa.select(ReportVersion).where(ReportVersion.report_id == report.id,
                                                           ReportVersion.version == version))
    path = files.stored_path(str(version_path(report.id, version))) if row is not None else None
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{report.kind}-{report.year}-v{version}.pdf")


@bp.route("/<int:report_id>/versions/<int:version>/pdf", methods=["POST"])
@permission_required("reports.view")
def regenerate(report_id, version):
    """Make a submitted version's missing PDF from its snapshot; an existing one never changes."""
    report = _report(report_id)
    row = db.session.scalar(sa.select(ReportVersion).where(ReportVersion.report_id == report.id,
                                                           ReportVersion.version == version))
    if row is None:
        abort(404)
    if files.stored_path(str(version_path(report.id, version))) is not None:
        flash(_("The PDF of version %(v)d exists: a submitted version's file does not change.", v=version), "warning")
        return _back(report)
    try:
        record = version_pdf.enqueue(report.id, version, key=f"report:{report.id}:v{version}",
                                     user_id=current_user.id)
    except QueueUnavailable:
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return _back(report)
    return redirect(url_for("jobs.show", job_id=record.id))


@bp.route("/<int:report_id>/report.docx")
@permission_required("reports.view")
@replica_reads
def docx(report_id):
    """Word copy: a submitted report's snapshot, else today's figures (marked as a draft)."""
    report = _report(report_id)
    frozen = not report.editable and report.snapshot
    data = report.snapshot if frozen else build(report, g.tenant)
    return files.download(docx_export.build(data, draft=not frozen), f"{report.kind}-{report.year}.docx", DOCX)
