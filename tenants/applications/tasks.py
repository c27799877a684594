"""Dossier and certificate PDFs in jobs. A submitted version's PDF goes to a path fixed by the
version, so a job killed and retried writes one file, not two; it carries page numbers, a draft
carries 草稿 on every page besides (saas.pdf.stamp)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, gettext as _

from saas.extensions import db
from saas.files import stored_path
from saas.jobs import JobFailed, job
from saas.pdf import PdfUnavailable, render_pdf
from saas.pdf.stamp import StampError, stamp
from saas.tenancy import Tenant, current_tenant_id

from . import dossier
from .models import SECTIONS, Application, ApplicationVersion


def _render(data: dict, locale: str, created: datetime | None = None, draft: bool = False) -> bytes:
    """The dossier with page numbers on every page; a draft also marked 草稿 on every page."""
    with force_locale(locale):
        try:
            pdf = render_pdf("pdf/dossier.html", {"d": data, "locale": locale, "title": _("Application form"),
                                                  "draft": draft}, created)
            if draft:
                return stamp(pdf, _("Draft, not submitted · page %(page)d of %(pages)d"), _("Draft"), created)
            return stamp(pdf, _("Page %(page)d of %(pages)d"), created=created)
        except (PdfUnavailable, StampError) as exc:
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


@job(queue="documents", timeout=900, retries=2, intervals=(10, 60), permission="applications.view",
     title=lambda application_id, version, *a: _("Application dossier, version %(n)s, as PDF", n=version),
     back=lambda application_id, *a: url_for("applications.show", application_id=application_id))
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


@job(queue="documents", timeout=900, retries=1, intervals=(10,), permission="applications.view",
     title=lambda *a: _("Draft dossier as PDF"),
     back=lambda application_id, *a: url_for("applications.show", application_id=application_id))
def preview_pdf(ctx, application_id: int, locale: str = "zh_CN"):
    """A draft's dossier from today's data, to read before submitting."""
    application = db.session.get(Application, application_id)
    if application is None:
        raise JobFailed("no such application")
    with force_locale(locale):
        data = dossier.build(application, db.session.get(Tenant, current_tenant_id()))
    ctx.progress(40)
    pdf = _render(data, locale, draft=True)
    relative = Path(str(current_tenant_id())) / "exports" / f"{uuid.uuid4().hex}.pdf"
    _write(relative, pdf)
    return {"file": str(relative), "filename": f"{application.scheme}-{application.year}-draft.pdf"}


def certificate_path(application: Application) -> Path:
    """Where the certificate of the current recognition lives: named by what it certifies, so a
    renewal (a new term or number) makes a new file and never changes the one handed out."""
    key = f"{application.certificate_no}|{application.recognised_on}|{application.valid_until}|{application.issued_by}"
    return Path(str(application.tenant_id)) / "applications" / \
        f"{application.id}-certificate-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pdf"


def certificate_data(application: Application, tenant: Tenant) -> dict:
    """The certificate as plain values (the PDF renders it): no ORM objects."""
    from tenants.schemes.service import schemes
    from tenants.schemes.standards import of_scheme

    scheme = schemes().get(application.scheme)
    return {"tenant": tenant.name, "kind": tenant.kind, "scheme": scheme.title_zh if scheme else application.scheme,
            "year": application.year, "certificate_no": application.certificate_no,
            "recognised_on": application.recognised_on.isoformat() if application.recognised_on else "",
            "issued_by": application.issued_by, "valid_until": application.valid_until.isoformat()
            if application.valid_until else "", "rereview_due": application.rereview_due.isoformat()
            if application.rereview_due else "", "term_years": of_scheme(application.scheme).rereview_years,
            "notice_start": application.notice_start.isoformat() if application.notice_start else "",
            "notice_end": application.notice_end.isoformat() if application.notice_end else "",
            "final_score": application.final_score}


@job(queue="documents", timeout=600, retries=2, intervals=(10, 60), permission="applications.view",
     title=lambda *a: _("Recognition certificate as PDF"),
     back=lambda application_id, *a: url_for("applications.show", application_id=application_id))
def certificate_pdf(ctx, application_id: int):
    """The recognition's certificate (认定证书) as a PDF, in Chinese — the language the bureau
    issues it in — made once per recognition or renewal and kept; its SHA-256 goes on the
    timeline. Asked again while the file exists, it answers with that file."""
    application = db.session.get(Application, application_id)
    if application is None or application.status not in ("recognised", "lapsed", "revoked") \
            or not application.certificate_no:
        raise JobFailed("no recognition to certify")
    relative = certificate_path(application)
    result = {"filename": f"{application.scheme}-{application.year}-certificate.pdf", "file": str(relative)}
    existing = stored_path(str(relative))
    if existing is not None:  # made before (a job retried after its write): say so once on the timeline
        digest = hashlib.sha256(existing.read_bytes()).hexdigest()
        _certificate_event(application, ctx, digest)
        return {**result, "sha256": digest}
    ctx.progress(20)
    data = certificate_data(application, db.session.get(Tenant, current_tenant_id()))
    created = datetime.combine(application.recognised_on, datetime.min.time())
    with force_locale("zh_CN"):
        try:
            pdf = render_pdf("pdf/certificate.html", {"c": data, "locale": "zh_CN",
                                                      "title": _("Certificate of recognition")}, created)
        except PdfUnavailable as exc:
            raise JobFailed(str(exc)) from exc
    ctx.progress(80)
    digest = _write(relative, pdf)
    _certificate_event(application, ctx, digest)
    return {**result, "sha256": digest}


def _certificate_event(application: Application, ctx, digest: str) -> None:
    """The certificate on the timeline, with its SHA-256 and who asked for it: once per file."""
    from saas.jobs import JobRecord

    from .models import ApplicationEvent
    from .services import event

    if db.session.scalar(sa.select(ApplicationEvent.id).where(ApplicationEvent.application_id == application.id,
                                                              ApplicationEvent.step == "certificate",
                                                              ApplicationEvent.comment == digest).limit(1)):
        return
    record = db.session.get(JobRecord, ctx.record_id)
    event(application, application.status, application.status, record.created_by_id if record else None,
          digest, "certificate")
