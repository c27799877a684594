"""Large imports run as a job (with progress); small ones run in the request."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import force_locale, gettext as _

from saas.extensions import db
from saas.files import UploadError
from saas.jobs import JobFailed, job

from .importer import run_import, result_summary

# Rows above which an import goes to the background (a few seconds of work).
BACKGROUND_ROWS = 300


@job(queue="imports", timeout=1800, retries=0, permission="members.manage")
def import_members(ctx, stored: str, mode: str, locale: str = "zh_CN"):
    path = Path(current_app.config["UPLOAD_DIR"]) / stored
    try:
        with force_locale(locale):
            try:
                result = run_import(path.read_bytes(), mode, progress=lambda p: ctx.progress(min(p, 95)))
            except UploadError as exc:
                raise JobFailed(str(exc)) from exc
            if not result.ok:
                db.session.rollback()
                raise JobFailed(_("Nothing was imported: %(n)d problems found.", n=len(result.errors)),
                                details={"errors": [e.as_dict() for e in result.errors]})
            summary = result_summary(result)
        db.session.commit()
        return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                "summary": summary}
    finally:
        path.unlink(missing_ok=True)
