"""Report PDFs in jobs (the one PDF pipeline: saas.pdf render_pdf + stamp) and the nightly
overdue notice.

A submitted version's PDF is made from its frozen snapshot only, to a path fixed by the version
(a retried job writes one file) and dated by the submission (the same bytes when made again); a
draft's preview is made from today's data and marked 草稿 on every page.

Overdue: every night, for each active tenant with a chosen set of standards, each report of
that set whose due date has passed without a submission is drafted if it was never started (so
the bureau's count of reports due includes it) and the base's administrators are told once
(`overdue_notified_at`, set by a compare-and-set UPDATE: two runs notify once).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, gettext as _

from saas.extensions import db
from saas.files import stored_path
from saas.jobs import JobFailed, job
from saas.jobs.schedule import schedule_daily
from saas.notifications import notify
from saas.pdf import PdfUnavailable, render_pdf
from saas.pdf.stamp import StampError, stamp
from saas.tenancy import Tenant, current_tenant_id, tenant_scope, utcnow

from .models import PeriodicReport, ReportVersion

NIGHTLY_AT = time(6, 45)


def render(data: dict, locale: str, created: datetime | None = None, draft: bool = False) -> bytes:
    """The report with page numbers on every page; a draft also marked 草稿 on every page."""
    with force_locale(locale):
        try:
            pdf = render_pdf("pdf/report.html", {"d": data, "locale": locale, "title": data["title"],
                                                 "draft": draft}, created)
            if draft:
                return stamp(pdf, _("Draft, not submitted · page %(page)d of %(pages)d"), _("Draft"), created)
            return stamp(pdf, _("Page %(page)d of %(pages)d"), created=created)
        except (PdfUnavailable, StampError) as exc:
            raise JobFailed(str(exc)) from exc


def _write(relative: Path, pdf: bytes) -> str:
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(pdf)
    tmp.replace(path)
    return hashlib.sha256(pdf).hexdigest()


def version_path(report_id: int, version: int) -> Path:
    return Path(str(current_tenant_id())) / "reports" / f"{report_id}-v{version}.pdf"


@job(queue="documents", timeout=900, retries=2, intervals=(10, 60), permission="reports.view",
     title=lambda report_id, version: _("Report, version %(n)s, as PDF", n=version),
     back=lambda report_id, *a: url_for("reports.show", report_id=report_id))
def version_pdf(ctx, report_id: int, version: int):
    """A submitted version's PDF from its snapshot, in the language it was submitted in; made
    once (an existing file is answered as it is), its SHA-256 recorded once."""
    row = db.session.scalar(sa.select(ReportVersion).where(ReportVersion.report_id == report_id,
                                                           ReportVersion.version == version))
    report = db.session.get(PeriodicReport, report_id)
    if row is None or report is None:
        raise JobFailed("no such version")
    relative = version_path(report_id, version)
    result = {"filename": f"{report.kind}-{report.year}-v{version}.pdf", "file": str(relative)}
    existing = stored_path(str(relative))
    if existing is not None:
        digest = hashlib.sha256(existing.read_bytes()).hexdigest()
        row.sha256 = row.sha256 or digest
        return {**result, "sha256": row.sha256, "matches": digest == row.sha256}
    ctx.progress(20)
    locale = row.snapshot.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]
    pdf = render(row.snapshot, locale, row.created_at)
    digest = _write(relative, pdf)
    row.sha256 = row.sha256 or digest
    if report.version == version:
        report.pdf_sha256 = row.sha256
    return {**result, "sha256": row.sha256, "matches": digest == row.sha256}


@job(queue="documents", timeout=900, retries=1, intervals=(10,), permission="reports.view",
     title=lambda *a: _("Draft report as PDF"),
     back=lambda report_id, *a: url_for("reports.show", report_id=report_id))
def preview_pdf(ctx, report_id: int, locale: str = "zh_CN"):
    """A draft's report from today's figures, marked 草稿 on every page."""
    from .services import build

    report = db.session.get(PeriodicReport, report_id)
    if report is None:
        raise JobFailed("no such report")
    with force_locale(locale):
        data = build(report, db.session.get(Tenant, current_tenant_id()))
    ctx.progress(40)
    pdf = render(data, locale, draft=True)
    relative = Path(str(current_tenant_id())) / "exports" / f"{uuid.uuid4().hex}.pdf"
    _write(relative, pdf)
    return {"file": str(relative), "filename": f"{report.kind}-{report.year}-draft.pdf"}


# --- overdue ------------------------------------------------------------------------------------------

def notify_overdue(today: date | None = None, tenant_ids: list[int] | None = None) -> int:
    """Tell each base's administrators (of `tenant_ids`, default every active tenant) once about
    each report past its due date and never submitted; returns how many notices went out."""
    from tenants.schemes.standards import standard_of

    from .services import _admins, due_reports, kind_title, overdue, start

    today = today or date.today()
    sent = 0
    select = sa.select(Tenant).where(Tenant.status == "active").order_by(Tenant.id)
    if tenant_ids is not None:
        select = select.where(Tenant.id.in_(tenant_ids))
    tenants = db.session.scalars(select).all()
    for tenant in tenants:
        if not standard_of(tenant).code or not standard_of(tenant).reports:
            continue  # no set chosen yet (ALL offers every report): nobody to hold to a date
        with tenant_scope(tenant.id):
            for kind, year in due_reports(tenant, today):
                report = start(tenant, kind.key, year)  # the existing one, or drafted now
                if not overdue(report, report.due_on, today) or report.overdue_notified_at is not None:
                    continue
                claimed = db.session.execute(sa.update(PeriodicReport).where(
                    PeriodicReport.id == report.id, PeriodicReport.overdue_notified_at.is_(None))
                    .values(overdue_notified_at=utcnow()).execution_options(synchronize_session=False)).rowcount
                if not claimed:
                    continue
                from saas.links import public_url

                link = public_url("reports.show", tenant_slug=tenant.slug, report_id=report.id)
                for user in _admins():
                    with force_locale(user.locale or tenant.default_locale or "zh_CN"):
                        notify([user], _("%(tenant)s: the %(report)s %(year)d was due on %(date)s and is not "
                                         "submitted", tenant=tenant.name, report=kind_title(kind.key), year=year,
                                         date=report.due_on.isoformat()), link, kind="deadline")
                sent += 1
            db.session.commit()
    return sent


@job(queue="default", timeout=1800, retries=2, intervals=(60, 600), permission="jobs.view")
def overdue_job(ctx):
    """The overdue notices of the current tenant, as a job (the nightly run below does every
    tenant); idempotent like it."""
    return {"sent": notify_overdue(tenant_ids=[current_tenant_id()])}


def nightly():
    from saas.jobs.task import _app_context

    with _app_context():
        with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
            notify_overdue()
        schedule_nightly()


def schedule_nightly(now: datetime | None = None) -> str:
    return schedule_daily(nightly, NIGHTLY_AT, "reports-overdue", now)

