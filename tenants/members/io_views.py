"""Excel import (validated, all-or-nothing, large files in the background) and exports."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from saas import files
from saas.auth.permissions import permission_required
from saas.extensions import db
from saas.jobs import QueueUnavailable
from saas.templating import locale_code

from .blueprint import bp
from .forms import ImportForm
from .importer import run_import
from .ledger import ledger_xlsx
from .models import Enterprise
from .spreadsheet import roster_csv, roster_xlsx, row_count, template
from .tasks import BACKGROUND_ROWS, import_members

XLSX = files.XLSX


@bp.route("/import/template.xlsx")
@permission_required("members.manage")
def import_template():
    return files.download(template(), _("member-import-template") + ".xlsx", XLSX)


@bp.route("/import", methods=["GET", "POST"])
@permission_required("members.manage")
def import_roster():
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("members/import.html", form=form)
    try:
        data, _kind = files.read_upload(request.files.get("file"), kinds={"xlsx"})
        if row_count(data) > BACKGROUND_ROWS:
            return _import_in_background(form, data)
        result = run_import(data, form.mode.data)
    except files.UploadError as exc:
        form.file.errors.append(str(exc))
        return render_template("members/import.html", form=form), 400
    if not result.ok:
        db.session.rollback()
        return render_template("members/import.html", form=form, errors=[e.as_dict() for e in result.errors]), 422
    db.session.commit()
    flash(_("Import done: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            created=result.created, updated=result.updated, unchanged=result.unchanged), "success")
    return redirect(url_for("members.index"))


def _import_in_background(form, data: bytes):
    relative = Path(str(g.tenant.id)) / "imports" / f"{uuid.uuid4().hex}.xlsx"
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        record = import_members.enqueue(str(relative), form.mode.data, locale_code(),
                                        key=f"import:{relative}", user_id=current_user.id)
    except QueueUnavailable:
        path.unlink(missing_ok=True)
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return render_template("members/import.html", form=form), 503
    return redirect(url_for("jobs.show", job_id=record.id))


def _everyone():
    return db.session.scalars(sa.select(Enterprise).options(selectinload(Enterprise.current))
                              .order_by(Enterprise.name, Enterprise.id)).all()


@bp.route("/export.xlsx")
@permission_required("members.manage")
def export_xlsx():
    now = datetime.now()
    return files.download(roster_xlsx(g.tenant.name, _everyone(), now), _("members") + f"-{now:%Y%m%d}.xlsx", XLSX)


@bp.route("/export.csv")
@permission_required("members.manage")
def export_csv():
    return files.download(roster_csv(_everyone()), _("members") + f"-{datetime.now():%Y%m%d}.csv", "text/csv; charset=utf-8")


@bp.route("/ledger.xlsx")
@permission_required("members.manage")
def export_ledger():
    now = datetime.now()
    return files.download(ledger_xlsx(g.tenant.name, now), _("ledger") + f"-{now:%Y%m%d}.xlsx", XLSX)

