"""Dossier PDFs in jobs. A submitted version's PDF goes to a path fixed by the version, so a job
killed and retried writes one file, not two."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from saas.extensions import db
from saas.jobs import JobFailed, job
from saas.pdf import PdfUnavailable, render_pdf
from saas.tenancy import Tenant, current_tenant_id

from . import dossier
from .models import Application, ApplicationVersion


def _render(data: dict, locale: str) -> bytes:
    with force_locale(locale):
        try:
            return render_pdf("pdf/dossier.html", {"d": data, "locale": locale, "title": _("Application form")})
        except PdfUnavailable as exc:
            raise JobFailed(str(exc)) from exc


def _write(relative: Path, pdf: bytes) -> str:
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(pdf)
    tmp.replace(path)  # atomic: a reader never sees half a file
    return hashlib.sha256(pdf).hexdigest()


@job(queue="documents", timeout=900, retries=2, intervals=(10, 60), permission="applications.view")
def version_pdf(ctx, application_id: int, version: int, locale: str = "zh_CN"):
    row = db.session.scalar(sa.select(ApplicationVersion).where(ApplicationVersion.application_id == application_id,
                                                                ApplicationVersion.version == version))
    if row is None:
        raise JobFailed("no such version")
    ctx.progress(20)
    pdf = _render(row.snapshot, locale)
    ctx.progress(80)
    relative = Path(str(current_tenant_id())) / "applications" / f"{application_id}-v{version}.pdf"
    row.pdf_path, row.pdf_sha256 = str(relative), _write(relative, pdf)
    application = db.session.get(Application, application_id)
    if application.version == version:
        application.pdf_path, application.pdf_sha256 = row.pdf_path, row.pdf_sha256
    return {"file": str(relative), "filename": f"{application.scheme}-{application.year}-v{version}.pdf",
            "sha256": row.pdf_sha256}


@job(queue="documents", timeout=900, retries=1, intervals=(10,), permission="applications.view")
def preview_pdf(ctx, application_id: int, locale: str = "zh_CN"):
    """A draft's dossier from today's data, to read before submitting."""
    application = db.session.get(Application, application_id)
    if application is None:
        raise JobFailed("no such application")
    with force_locale(locale):
        data = dossier.build(application, db.session.get(Tenant, current_tenant_id()))
    ctx.progress(40)
    pdf = _render(data, locale)
    relative = Path(str(current_tenant_id())) / "exports" / f"{uuid.uuid4().hex}.pdf"
    _write(relative, pdf)
    return {"file": str(relative), "filename": f"{application.scheme}-{application.year}-draft.pdf"}
