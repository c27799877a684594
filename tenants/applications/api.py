"""Applications over the API: list, start, read, submit (409 on a double submit), dossier PDF;
read and edit the sections (compare-and-set like the form: 409 once submitted meanwhile); the
reviewers' decisions with an action word and an opinion (the same rules as the buttons)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g, send_file

from saas.api import ApiError, body, iso, page_of, tenant_route
from saas.extensions import db
from saas.files import stored_path
from saas.jobs import QueueUnavailable
from tenants.plans.services import YEARS

from .dossier import section_title
from .flow import ACTIONS, Decision, available, decide
from .models import SECTIONS, Application
from .services import ApplicationError, start, status_labels, submit
from .tasks import certificate_path, certificate_pdf, version_pdf
from .timeline import latest_section_comments


def application_json(a: Application) -> dict:
    return {"id": a.id, "scheme": a.scheme, "year": a.year, "status": a.status, "version": a.version,
            "sections": a.sections or {}, "submitted_at": iso(a.submitted_at), "pdf_sha256": a.pdf_sha256 or None,
            "notice_start": iso(a.notice_start), "notice_end": iso(a.notice_end),
            "recognised_on": iso(a.recognised_on), "certificate_no": a.certificate_no or None,
            "rereview_due": iso(a.rereview_due), "final_score": a.final_score,
            "status_label": status_labels().get(a.status, a.status), "issued_by": a.issued_by or None,
            "valid_until": iso(a.valid_until)}


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


def sections_json(a: Application) -> dict:
    comments = latest_section_comments(a)
    return {"application_id": a.id, "status": a.status, "version": a.version, "editable": a.editable,
            "sections": [{"code": c, "title": section_title(c), "text": (a.sections or {}).get(c, ""),
                          "comment": comments[c]["text"] if c in comments else None} for c in SECTIONS]}


@tenant_route("/applications/<int:application_id>/sections", "applications.view")
def application_sections(application_id):
    return sections_json(_get(application_id))


@tenant_route("/applications/<int:application_id>/sections", "applications.write", methods=("PUT",))
def edit_sections(application_id):
    """Replace the texts of the sections sent (the others keep theirs). `version` is the number
    of submissions the writer saw: once submitted meanwhile, 409 and nothing is written."""
    item = _get(application_id)
    data = body()
    fields = {k: "unknown field" for k in set(data) - {"sections", "version"}}
    texts = data.get("sections")
    if not isinstance(texts, dict):
        fields["sections"] = "an object of section code to text"
    else:
        fields.update({f"sections.{k}": "unknown section" for k in texts if k not in SECTIONS})
        fields.update({f"sections.{k}": "text of at most 20000 characters" for k, v in texts.items()
                       if k in SECTIONS and (not isinstance(v, str) or len(v) > 20000)})
    version = data.get("version", item.version)
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= 10**6:
        fields["version"] = "the number of submissions you saw (an integer)"
    if fields:
        raise ApiError(422, fields=fields)
    try:
        merged = {**(item.sections or {}), **texts}
        from .services import save_sections

        save_sections(item, merged, version)
        db.session.commit()
    except ApplicationError as exc:
        db.session.rollback()
        raise ApiError(409 if exc.conflict else 422, str(exc))
    return sections_json(item)


def _date_field(data: dict, name: str, fields: dict):
    value = data.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad(fields, name)
    except ValueError:
        return _bad(fields, name)


def _bad(fields: dict, name: str) -> None:
    fields[name] = "a date, YYYY-MM-DD"
    return None


DECISION_FIELDS = {"action", "opinion", "section_comments", "notice_start", "certificate_no", "recognised_on",
                   "issued_by", "grounds", "objection_id", "received_on", "renewed_on"}


@tenant_route("/applications/<int:application_id>/decisions", "applications.review", methods=("POST",))
def application_decision(application_id):
    """A reviewer's decision: the same action words, rules and compare-and-set as the buttons
    (an action not open now, or lost to another reviewer's, is 409)."""
    item = _get(application_id)
    data = body()
    fields = {k: "unknown field" for k in set(data) - DECISION_FIELDS}
    if data.get("action") not in ACTIONS:
        fields["action"] = "one of " + ", ".join(ACTIONS)
    for name in ("opinion", "certificate_no", "issued_by", "grounds"):
        if data.get(name) is not None and not isinstance(data[name], str):
            fields[name] = "text"
    comments = data.get("section_comments") or {}
    if not isinstance(comments, dict) or any(k not in SECTIONS or not isinstance(v, str) for k, v in comments.items()):
        fields["section_comments"] = "an object of section code to text"
    objection_id = data.get("objection_id")
    if objection_id is not None and (not isinstance(objection_id, int) or isinstance(objection_id, bool)
                                     or not 0 < objection_id <= 2**31 - 1):
        fields["objection_id"] = "an objection's id"
    dates = {name: _date_field(data, name, fields) for name in ("notice_start", "recognised_on", "received_on",
                                                                 "renewed_on")}
    if fields:
        raise ApiError(422, fields=fields)
    decision = Decision(action=data["action"], opinion=(data.get("opinion") or "")[:5000],
                        section_comments=comments if isinstance(comments, dict) else {},
                        certificate_no=(data.get("certificate_no") or "")[:64], issued_by=(data.get("issued_by") or "")[:200],
                        grounds=data.get("grounds") or "", objection_id=objection_id, **dates)
    if decision.action not in available(item, g.api_user, g.tenant):
        raise ApiError(409, "this action is not open to you now")
    try:
        decide(item, decision, g.api_user, g.tenant)
        db.session.commit()
    except ApplicationError as exc:
        db.session.rollback()
        raise ApiError(409 if exc.conflict else 422, str(exc))
    if item.status == "recognised" and decision.action in ("approve", "renew"):
        try:
            certificate_pdf.enqueue(item.id, key=f"certificate:{certificate_path(item).name}", user_id=g.api_user.id)
        except QueueUnavailable:
            pass  # made later from the page
    return application_json(item)
