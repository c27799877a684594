"""Large imports run as jobs (with progress); small ones run in the request."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale, gettext as _

from saas.extensions import db
from saas.files import UploadError
from saas.jobs import JobFailed, job

from .importer import preview_import, result_summary, run_import

# Rows above which an import goes to the background (a few seconds of work).
BACKGROUND_ROWS = 300
# Unpacked bytes above which even reading the file is left to the worker: the measure a file
# cannot lie about (what its zip entries inflate to), unlike the row count `<dimension>` claims.
# About a thousand roster rows.
BACKGROUND_BYTES = 1024 * 1024


@job(queue="imports", timeout=1800, retries=0, permission="members.manage", title=lambda *a: _("Import of the member roster"),
     back=lambda *a: url_for("members.index"))
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


@job(queue="imports", timeout=1800, retries=0, permission="members.manage",
     title=lambda *a: _("Preview of a roster update"), back=lambda *a: url_for("members.import_roster"))
def preview_members(ctx, stored: str, mode: str, locale: str = "zh_CN"):
    """The preview of a large update import; the file stays for the import the user confirms."""
    path = Path(current_app.config["UPLOAD_DIR"]) / stored
    with force_locale(locale):
        try:
            result = preview_import(path.read_bytes(), mode)
        except UploadError as exc:
            path.unlink(missing_ok=True)
            raise JobFailed(str(exc)) from exc
        except FileNotFoundError as exc:
            raise JobFailed(_("The uploaded file is no longer there: upload it again.")) from exc
        if not result.ok:
            path.unlink(missing_ok=True)
            raise JobFailed(_("Nothing was imported: %(n)d problems found.", n=len(result.errors)),
                            details={"errors": [e.as_dict() for e in result.errors]})
        db.session.rollback()  # read only
        return {"preview": preview_dict(result), "upload": Path(stored).stem, "mode": mode}


def preview_dict(result) -> dict:
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "changes": [c.as_dict() for c in result.changes], "new": [c.as_dict() for c in result.new]}
