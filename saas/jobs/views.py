"""Job status pages under /t/<slug>/jobs: progress, reason of failure, retry, download."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _

from ..auth.permissions import can, permission_required
from ..extensions import db
from ..files import stored_path
from ..tenancy import tenant_blueprint
from .queues import QueueUnavailable
from .records import JobRecord
from .task import reconcile, task_for

bp = tenant_blueprint("jobs", __name__, "/jobs")


def _record(job_id: int) -> JobRecord:
    record = db.get_or_404(JobRecord, job_id)  # tenant-scoped: another tenant's job is a 404
    if not can(record.permission):
        abort(403)
    return reconcile(record)


@bp.route("/<int:job_id>")
@permission_required("jobs.view")
def show(job_id):
    record = _record(job_id)
    try:
        title, back = task_for(record).describe(record)
    except Exception:  # noqa: BLE001 — a task renamed since: the page still shows the record
        title, back = None, None
    return render_template("jobs/show.html", record=record, made=title, back=back)


@bp.route("/<int:job_id>.json")
@permission_required("jobs.view")
def status(job_id):
    return jsonify(_record(job_id).as_dict())


@bp.route("/<int:job_id>/retry", methods=["POST"])
@permission_required("jobs.view")
def retry(job_id):
    record = _record(job_id)
    if record.status != "failed" or (record.result or {}).get("permanent"):
        flash(_("Only a job that failed for a passing reason can be retried."), "warning")
    else:
        try:
            task_for(record).retry(record)
            flash(_("The job is queued again."), "success")
        except QueueUnavailable:
            flash(_("Background work is unavailable right now. Please try again later."), "danger")
    return redirect(url_for("jobs.show", job_id=record.id))


@bp.route("/<int:job_id>/download")
@permission_required("jobs.view")
def download(job_id):
    record = _record(job_id)
    if record.status != "done" or not (record.result or {}).get("file"):
        abort(404)
    path = stored_path(record.result["file"])
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=record.result.get("filename") or path.name)
