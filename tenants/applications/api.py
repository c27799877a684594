"""Applications over the API: list, start, read, submit (409 on a double submit), dossier PDF."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g, send_file

from saas.api import ApiError, body, iso, page_of, tenant_route
from saas.extensions import db
from saas.files import stored_path
from saas.jobs import QueueUnavailable
from tenants.plans.services import YEARS

from .models import Application
from .services import ApplicationError, start, submit
from .tasks import version_pdf


def application_json(a: Application) -> dict:
    return {"id": a.id, "scheme": a.scheme, "year": a.year, "status": a.status, "version": a.version,
            "sections": a.sections or {}, "submitted_at": iso(a.submitted_at), "pdf_sha256": a.pdf_sha256 or None,
            "notice_start": iso(a.notice_start), "notice_end": iso(a.notice_end),
            "recognised_on": iso(a.recognised_on), "certificate_no": a.certificate_no or None,
            "rereview_due": iso(a.rereview_due), "final_score": a.final_score}


@tenant_route("/applications", "applications.view")
def applications():
    return page_of(sa.select(Application).order_by(Application.year.desc(), Application.id.desc()), application_json)


@tenant_route("/applications", "applications.write", methods=("POST",))
def create_application():
    data = body()
    unknown = {k: "unknown field" for k in set(data) - {"scheme", "year"}}
    if unknown:
        raise ApiError(422, fields=unknown)
    year = data.get("year", date.today().year)
    if not isinstance(year, int) or isinstance(year, bool) or year not in YEARS:
        raise ApiError(422, fields={"year": f"a year from {YEARS[0]} to {YEARS[-1]}"})
    if not isinstance(data.get("scheme"), str):
        raise ApiError(422, fields={"scheme": "required scheme code"})
    try:
        application = start(g.tenant, data["scheme"], year)
        db.session.commit()
    except ApplicationError as exc:
        db.session.rollback()
        raise ApiError(422, str(exc), {"scheme": str(exc)})
    return application_json(application), 201


def _get(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        raise ApiError(404)
    return application


@tenant_route("/applications/<int:application_id>", "applications.view")
def application(application_id):
    return application_json(_get(application_id))


@tenant_route("/applications/<int:application_id>/submit", "applications.write", methods=("POST",))
def submit_application(application_id):
    item = _get(application_id)
    try:
        version = submit(item, g.api_user, g.tenant)
        db.session.commit()
    except ApplicationError as exc:
        db.session.rollback()
        raise ApiError(409 if exc.conflict else 422, str(exc))
    try:
        version_pdf.enqueue(item.id, version.version, key=f"dossier:{item.id}:v{version.version}", user_id=g.api_user.id)
    except QueueUnavailable:
        pass  # the PDF can be made later from the frozen snapshot
    return application_json(item)


@tenant_route("/applications/<int:application_id>/dossier.pdf", "applications.view")
def dossier_pdf(application_id):
    item = _get(application_id)
    path = stored_path(item.pdf_path)
    if path is None:
        raise ApiError(404, "no dossier PDF yet")
    return send_file(path, mimetype="application/pdf", download_name=f"{item.scheme}-{item.year}-v{item.version}.pdf")
