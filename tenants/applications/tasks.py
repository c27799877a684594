"""Dossier PDFs in jobs. A submitted version's PDF goes to a path fixed by the version, so a job
killed and retried writes one file, not two."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from saas.extensions import db
from saas.files import stored_path
from saas.jobs import JobFailed, job
from saas.pdf import PdfUnavailable, render_pdf
from saas.tenancy import Tenant, current_tenant_id

from . import dossier
from .models import SECTIONS, Application, ApplicationVersion


def _render(data: dict, locale: str, created: datetime | None = None) -> bytes:
    with force_locale(locale):
        try:
            return render_pdf("pdf/dossier.html", {"d": data, "locale": locale, "title": _("Application form")},
                              created)
        except PdfUnavailable as exc:
            raise JobFailed(str(exc)) from exc


def version_locale(snapshot: dict) -> str:
    """The language a submitted version is written in (its snapshot's labels and titles were
    translated at submission): recorded in the snapshot; for one frozen before it was recorded,
    the language whose section titles it carries."""
    languages = current_app.config["LANGUAGES"]
    if snapshot.get("locale") in languages:
        return snapshot["locale"]
    first = (snapshot.get("sections") or [{}])[0]
    for code in languages:
        with force_locale(code):
            if first.get("code") in SECTIONS and dossier.section_title(first["code"]) == first.get("title"):
                return code
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _write(relative: Path, pdf: bytes) -> str:
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(pdf)
    tmp.replace(path)  # atomic: a reader never sees half a file
    return hashlib.sha256(pdf).hexdigest()


@job(queue="documents", timeout=900, retries=2, intervals=(10, 60), permission="applications.view")
def version_pdf(ctx, application_id: int, version: int, locale: str | None = None):
    """A submitted version's PDF: made once, in the version's own language, from its frozen
    snapshot (`locale`, the requester's language, is ignored; jobs queued before said it).

    A version's file never changes: if it exists this does nothing. A lost file is made again,
    dated like the first (saas.pdf), so the same bytes come out and the recorded SHA-256 matches
    them again. The recorded SHA-256 is never replaced: it names the file the reviewers were given,
    and should another wkhtmltopdf or font make other bytes, the result says that this copy differs
    (`matches`) rather than the record forgetting the original."""
    row = db.session.scalar(sa.select(ApplicationVersion).where(ApplicationVersion.application_id == application_id,
                                                                ApplicationVersion.version == version))
    if row is None:
        raise JobFailed("no such version")
    application = db.session.get(Application, application_id)
    result = {"filename": f"{application.scheme}-{application.year}-v{version}.pdf"}
    existing = stored_path(row.pdf_path)
    if existing is not None:
        return {**result, "file": row.pdf_path, "sha256": row.pdf_sha256,
                "matches": hashlib.sha256(existing.read_bytes()).hexdigest() == row.pdf_sha256}
    ctx.progress(20)
    pdf = _render(row.snapshot, version_locale(row.snapshot), row.created_at)
    ctx.progress(80)
    relative = Path(str(current_tenant_id())) / "applications" / f"{application_id}-v{version}.pdf"
    digest = _write(relative, pdf)
    row.pdf_path, row.pdf_sha256 = str(relative), row.pdf_sha256 or digest
    if application.version == version:
        application.pdf_path, application.pdf_sha256 = row.pdf_path, row.pdf_sha256
    return {**result, "file": str(relative), "sha256": row.pdf_sha256, "matches": digest == row.pdf_sha256}


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
