"""Excel import (validated, all-or-nothing, an update previewed first, large files in the
background) and exports."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from saas import files, workbook
from saas.auth.permissions import permission_required
from saas.extensions import db
from saas.jobs import JobRecord, QueueUnavailable
from saas.jobs.task import reconcile
from saas.templating import locale_code

from . import uploads
from .blueprint import bp
from .forms import ConfirmForm, ImportForm
from .importer import MODES, preview_import, run_import
from .ledger import ledger_xlsx
from .models import Enterprise
from .spreadsheet import read_rows, roster_csv, roster_xlsx, template
from .tasks import BACKGROUND_BYTES, BACKGROUND_ROWS, import_members, preview_dict, preview_members

XLSX = files.XLSX


@bp.route("/import/template.xlsx")
@permission_required("members.manage")
def import_template():
    return files.download(template(), _("member-import-template") + ".xlsx", XLSX)


@bp.route("/import", methods=["GET", "POST"])
@permission_required("members.manage")
def import_roster():
    """Create mode imports at once; update mode first shows what will change (old → new)."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("members/import.html", form=form)
    mode = form.mode.data
    stored = None
    try:
        data, _kind = files.read_upload(request.files.get("file"), kinds={"xlsx"})
        size = workbook.check(data)
        if mode == "update":
            stored = uploads.store(data)
            return _preview(form, data, size, stored)
        return _import(form, data, size, mode, None)
    except files.UploadError as exc:
        uploads.remove(stored)
        form.file.errors.append(str(exc))
        return render_template("members/import.html", form=form), 400


@bp.route("/import/preview/<int:job_id>")
@permission_required("members.manage")
def import_preview(job_id):
    """The preview of a large file, made by the worker: progress until it is done."""
    record = db.get_or_404(JobRecord, job_id)  # tenant-scoped: another tenant's job is a 404
    if record.task != preview_members.name:
        abort(404)
    record = reconcile(record)
    form = ImportForm(mode="update")
    if record.status == "done":
        result = record.result
        return render_template("members/import.html", form=form, preview=result["preview"],
                               confirm=ConfirmForm(), upload=result["upload"], mode=result["mode"])
    if record.status == "failed":
        if (record.result or {}).get("errors"):
            return render_template("members/import.html", form=form, errors=record.result["errors"]), 422
        return redirect(url_for("jobs.show", job_id=record.id))  # which says why, and offers a retry
    return render_template("members/import.html", form=form, job=record)


@bp.route("/import/confirm", methods=["POST"])
@permission_required("members.manage")
def import_confirm():
    """Import the file the preview showed (kept on the server under a random name)."""
    mode = request.form.get("mode", "")
    path = uploads.waiting(request.form.get("upload", ""))
    if not ConfirmForm().validate_on_submit() or mode not in MODES or path is None:
        flash(_("The uploaded file is no longer there: upload it again."), "warning")
        return redirect(url_for("members.import_roster"))
    form = ImportForm(mode=mode)
    stored = str(path.relative_to(Path(current_app.config["UPLOAD_DIR"])))
    try:
        data = path.read_bytes()
        return _import(form, data, workbook.check(data), mode, stored)
    except files.UploadError as exc:
        uploads.remove(stored)
        form.file.errors.append(str(exc))
        return render_template("members/import.html", form=form), 400


def _preview(form, data: bytes, size: int, stored: str):
    if size > BACKGROUND_BYTES:
        try:
            record = preview_members.enqueue(stored, "update", locale_code(), key=f"preview:{stored}",
                                             user_id=current_user.id)
        except QueueUnavailable:
            return _queue_down(form, stored)
        return redirect(url_for("members.import_preview", job_id=record.id))
    result = preview_import(data, "update")
    if not result.ok:
        uploads.remove(stored)
        db.session.rollback()
        return render_template("members/import.html", form=form, errors=[e.as_dict() for e in result.errors]), 422
    return render_template("members/import.html", form=form, preview=preview_dict(result), confirm=ConfirmForm(),
                           upload=Path(stored).stem, mode="update")


def _import(form, data: bytes, size: int, mode: str, stored: str | None):
    """Import now, or in the background when the file is large: by its unpacked size first
    (reading it is work too), then by the rows actually read."""
    sheet = read_rows(data) if size <= BACKGROUND_BYTES else None
    if sheet is None or len(sheet.rows) > BACKGROUND_ROWS:
        stored = stored or uploads.store(data)
        try:
            record = import_members.enqueue(stored, mode, locale_code(), key=f"import:{stored}",
                                            user_id=current_user.id)
        except QueueUnavailable:
            return _queue_down(form, stored)
        return redirect(url_for("jobs.show", job_id=record.id))
    result = run_import(sheet, mode)
    if not result.ok:
        db.session.rollback()
        uploads.remove(stored)
        return render_template("members/import.html", form=form, errors=[e.as_dict() for e in result.errors]), 422
    db.session.commit()
    uploads.remove(stored)
    flash(_("Import done: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            created=result.created, updated=result.updated, unchanged=result.unchanged), "success")
    return redirect(url_for("members.index"))


def _queue_down(form, stored: str):
    uploads.remove(stored)
    flash(_("Background work is unavailable right now. Please try again later."), "danger")
    return render_template("members/import.html", form=form), 503










def _everyone():
    return db.session.scalars(sa.select(Enterprise).options(selectinload(Enterprise.current))
                              .order_by(Enterprise.name, Enterprise.id)).all()


@bp.route("/export.xlsx")
@permission_required("members.manage")
def export_xlsx():
    now = datetime.now()
    book = roster_xlsx(g.tenant.name, _everyone(), now, english=locale_code() == "en")
    return files.download(book, _("members") + f"-{now:%Y%m%d}.xlsx", XLSX)


@bp.route("/export.csv")
@permission_required("members.manage")
def export_csv():
    return files.download(roster_csv(_everyone()), _("members") + f"-{datetime.now():%Y%m%d}.csv", "text/csv; charset=utf-8")


@bp.route("/ledger.xlsx")
@permission_required("members.manage")
def export_ledger():
    now = datetime.now()
    return files.download(ledger_xlsx(g.tenant.name, now), _("ledger") + f"-{now:%Y%m%d}.xlsx", XLSX)

