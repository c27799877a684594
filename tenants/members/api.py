"""/api/v1/tenants/<slug>/enterprises…: the roster through the same services as the pages."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g, request
from sqlalchemy.orm import selectinload

from saas import files, workbook
from saas.api import ApiError, body, integer, iso, page_of, tenant_route
from saas.api.jobs import job_json
from saas.extensions import db
from saas.jobs import QueueUnavailable
from saas.templating import locale_code

from . import uploads
from .checklists import ITEMS, STATES
from .importer import MODES, preview_import, run_import
from .models import FLAGS, STATUSES, Enterprise
from .privacy import contacts, may_see_any_contacts, record_export
from .spreadsheet import read_rows
from .tasks import BACKGROUND_BYTES, BACKGROUND_ROWS, import_members
from .services import MemberError, apply_profile, change_status, checklist, enterprise_or_404, normalise_credit_code, \
    normalise_landline, normalise_mobile, save_checklist, save_enterprise, set_liaison, survey, save_survey, \
    SURVEY_FIELDS

FIELDS = ("name", "credit_code", "industry", "employees", "status", "joined_on", "liaison", "flags", "adopted_standard")
LIAISON_TEXT = ("position", "mobile", "landline", "email")


def serialise(e: Enterprise, full: bool | None = None) -> dict:
    """One enterprise; the liaison's contact details in full only for those who may see them
    (tenants/members/privacy.py), masked otherwise, or as `full` says."""
    person = e.current_liaison
    return {"id": e.id, "name": e.name, "credit_code": e.credit_code, "industry": e.industry, "employees": e.employees,
            "status": e.status, "joined_on": iso(e.joined_on), "flags": e.flags, "adopted_standard": e.adopted_standard,
            "liaison": {"name": person.name, "position": person.position, **contacts(person, full)} if person else None}


def _date(data: dict, key: str, fields: dict):
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        fields[key] = "an ISO 8601 date (YYYY-MM-DD)"


def _profile(data: dict, partial: bool) -> tuple[dict, dict | None]:
    """Validated profile fields (422 with every bad field named)."""
    unknown = sorted(set(data) - set(FIELDS))
    fields: dict[str, str] = {k: "unknown field" for k in unknown}
    out: dict = {}
    if "name" in data or not partial:
        if not isinstance(data.get("name"), str) or not data["name"].strip() or len(data["name"]) > 200:
            fields["name"] = "required text, at most 200 characters"
        else:
            out["name"] = data["name"].strip()
    if "credit_code" in data or not partial:
        try:
            out["credit_code"] = normalise_credit_code(data.get("credit_code") if isinstance(data.get("credit_code"), str) else "")
        except MemberError as exc:
            fields["credit_code"] = str(exc)
    if "industry" in data:
        if not isinstance(data["industry"], str) or len(data["industry"]) > 120:
            fields["industry"] = "text, at most 120 characters"
        else:
            out["industry"] = data["industry"]
    if "employees" in data:
        if not isinstance(data["employees"], int) or isinstance(data["employees"], bool) or not 0 <= data["employees"] <= 10_000_000:
            fields["employees"] = "an integer from 0"
        else:
            out["employees"] = data["employees"]
    if data.get("status") == "demonstration":
        fields["status"] = "a demonstration unit is recognised by a bureau, not set: see the units of the tenant"
    elif "status" in data and data["status"] not in STATUSES:
        fields["status"] = f"one of {', '.join(STATUSES)}"
    for key in ("joined_on",):
        if key in data:
            out[key] = _date(data, key, fields)
    if "adopted_standard" in data:
        if not isinstance(data["adopted_standard"], bool):
            fields["adopted_standard"] = "true or false"
        else:
            out["adopted_standard"] = data["adopted_standard"]
    if "flags" in data:
        if not isinstance(data["flags"], list) or any(f not in FLAGS for f in data["flags"]):
            fields["flags"] = f"a list of {', '.join(FLAGS)}"
        else:
            out.update({f: f in data["flags"] for f in FLAGS})
    liaison = None
    if data.get("liaison") is not None:
        raw = data["liaison"]
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip() or \
                any(not isinstance(raw.get(k, ""), str) for k in LIAISON_TEXT):
            fields["liaison"] = "an object with name (required), position, mobile, landline, email"
        else:
            liaison = {k: raw.get(k, "")[:120] for k in ("name", "position")} | {"email": raw.get("email", "")[:254]}
            # Numbers as the liaison form checks them; each bad one named (liaison.mobile …).
            # A landline left out stays as it is (clients from before it existed do not erase it).
            for key, normalise in (("mobile", normalise_mobile), ("landline", normalise_landline)):
                if key == "landline" and key not in raw:
                    continue
                try:
                    liaison[key] = normalise(raw.get(key, ""))
                except MemberError as exc:
                    fields[f"liaison.{key}"] = str(exc)
    if fields:
        raise ApiError(422, fields=fields)
    return out, liaison


@tenant_route("/enterprises", "members.list")
def enterprises():
    """The roster, a list that leaves the app like an export: contact details masked unless
    `contacts=include` is asked by a role that may see them (then recorded in the audit log)."""
    select = sa.select(Enterprise).options(selectinload(Enterprise.liaisons)).order_by(Enterprise.name, Enterprise.id)
    if request.args.get("status") in STATUSES:
        select = select.where(Enterprise.status == request.args["status"])
    include = request.args.get("contacts", "")
    if include not in ("", "include", "mask"):
        raise ApiError(422, "contacts must be include or mask", {"contacts": "include or mask"})
    if include != "include":
        return page_of(select, lambda e: serialise(e, full=False))
    if not may_see_any_contacts():
        raise ApiError(403, "this role may not see liaison contact details")
    result = page_of(select, lambda e: serialise(e, full=None))
    record_export("API: enterprises with liaison contacts", True, len(result.get("items", [])))
    db.session.commit()
    return result


@tenant_route("/enterprises", "members.manage", methods=("POST",))
def create_enterprise():
    data = body()
    profile, liaison = _profile(data, partial=False)
    if data.get("status") not in (None, "liaison"):
        profile["status"] = data["status"]
        profile["withdrawal_reason"] = data.get("reason", "") if isinstance(data.get("reason"), str) else ""
    try:
        enterprise = save_enterprise(None, profile, liaison)
        db.session.commit()
    except MemberError as exc:
        db.session.rollback()
        raise ApiError(409 if exc.field == "credit_code" else 422, str(exc), {exc.field or "status": str(exc)})
    return serialise(enterprise), 201


@tenant_route("/enterprises/<int:enterprise_id>", "members.view")
def enterprise(enterprise_id):
    return serialise(enterprise_or_404(enterprise_id))


@tenant_route("/enterprises/<int:enterprise_id>", "members.manage", methods=("PATCH",))
def update_enterprise(enterprise_id):
    item = enterprise_or_404(enterprise_id)
    data = body()
    profile, liaison = _profile(data, partial=True)
    try:
        if "credit_code" in profile:
            save_enterprise(item, {"name": profile.get("name", item.name), **profile})
        else:
            apply_profile(item, profile)
        if data.get("status") and data["status"] != item.status:
            change_status(item, data["status"], None, data.get("reason", ""))
        if liaison:
            set_liaison(item, **liaison)
        db.session.commit()
    except MemberError as exc:
        db.session.rollback()
        raise ApiError(409 if exc.field == "credit_code" else 422, str(exc), {exc.field or "status": str(exc)})
    return serialise(item)


@tenant_route("/enterprises/<int:enterprise_id>/withdraw", "members.manage", methods=("POST",))
def withdraw(enterprise_id):
    item = enterprise_or_404(enterprise_id)
    data = body()
    fields = {}
    on = _date(data, "on", fields)
    if not isinstance(data.get("reason"), str) or not data["reason"].strip():
        fields["reason"] = "required"
    if fields:
        raise ApiError(422, fields=fields)
    if item.status == "withdrawn":
        raise ApiError(409, "already withdrawn")
    change_status(item, "withdrawn", on, data["reason"])
    db.session.commit()
    return serialise(item)


@tenant_route("/enterprises/import", "members.manage", methods=("POST",))
def import_enterprises():
    mode = request.form.get("mode", "create")
    if mode not in MODES:
        raise ApiError(422, fields={"mode": f"one of {', '.join(MODES)}"})
    preview = request.form.get("preview", "false")
    if preview not in ("true", "false"):
        raise ApiError(422, fields={"preview": "true or false"})
    try:
        data, _kind = files.read_upload(request.files.get("file"), kinds={"xlsx"})
        size = workbook.check(data)
        # As the page does: a large file goes to the worker (by its unpacked size first, then by
        # the rows actually read); the answer is 202 with the job to poll.
        sheet = read_rows(data) if size <= BACKGROUND_BYTES else None
        if preview == "false" and (sheet is None or len(sheet.rows) > BACKGROUND_ROWS):
            return _background(data, mode)
        result = (preview_import if preview == "true" else run_import)(sheet or data, mode)
    except files.UploadError as exc:
        raise ApiError(422, str(exc), {"file": str(exc)})
    if not result.ok:
        db.session.rollback()
        raise ApiError(422, "nothing was imported", rows=[e.as_dict() for e in result.errors])
    if preview == "true":
        # What the same file would change, nothing written: each field with its old and new value.
        return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                "changes": [c.as_json() for c in result.changes], "new": [c.as_json() for c in result.new]}
    db.session.commit()
    return {"created": result.created, "updated": result.updated}


def _background(data: bytes, mode: str):
    stored = uploads.store(data)
    try:
        record = import_members.enqueue(stored, mode, locale_code(), key=f"import:{stored}", user_id=g.api_user.id)
    except QueueUnavailable:
        uploads.remove(stored)
        raise ApiError(503, "background work is unavailable right now; try again later") from None
    db.session.commit()
    return {"job": job_json(record)}, 202


def _checklist_json(enterprise) -> dict:
    items = checklist(enterprise)
    return {"items": [{"code": c, "state": items[c].state, "note": items[c].note or ""} for c in ITEMS]}


@tenant_route("/enterprises/<int:enterprise_id>/checklist", "members.view")
def get_checklist(enterprise_id):
    return _checklist_json(enterprise_or_404(enterprise_id))


@tenant_route("/enterprises/<int:enterprise_id>/checklist", "members.records", methods=("PUT",))
def put_checklist(enterprise_id):
    item = enterprise_or_404(enterprise_id)
    data = body()
    rows = data.get("items")
    if not isinstance(rows, list):
        raise ApiError(422, fields={"items": "a list of {code, state, note}"})
    values, fields = {}, {}
    for n, row in enumerate(rows):
        if not isinstance(row, dict) or row.get("code") not in ITEMS or row.get("state") not in STATES or \
                not isinstance(row.get("note", ""), str):
            fields[f"items[{n}]"] = f"code one of the checklist items, state one of {', '.join(STATES)}"
        else:
            values[row["code"]] = (row["state"], row.get("note", ""))
    if fields:
        raise ApiError(422, fields=fields)
    save_checklist(item, values)
    db.session.commit()
    return _checklist_json(item)


def _survey_json(row) -> dict:
    return {"year": row.year, **{f: getattr(row, f) for f in SURVEY_FIELDS}, "headcount": row.headcount,
            "confidentiality_rate": row.confidentiality_rate, "noncompete_rate": row.noncompete_rate}


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise ApiError(404)
    return year


@tenant_route("/enterprises/<int:enterprise_id>/survey/<int:year>", "members.view")
def get_survey(enterprise_id, year):
    return _survey_json(survey(enterprise_or_404(enterprise_id), _year(year)))


@tenant_route("/enterprises/<int:enterprise_id>/survey/<int:year>", "members.records", methods=("PUT",))
def put_survey(enterprise_id, year):
    item = enterprise_or_404(enterprise_id)
    data = body()
    bad = {f: "an integer from 0 to 10,000,000" for f in SURVEY_FIELDS
           if f in data and not integer(data[f], 0, 10_000_000)}
    bad.update({k: "unknown field" for k in set(data) - set(SURVEY_FIELDS)})
    if bad:
        raise ApiError(422, fields=bad)
    try:
        row = save_survey(item, _year(year), data)
        db.session.commit()
    except MemberError as exc:
        db.session.rollback()
        raise ApiError(422, str(exc), {exc.field or "employees": str(exc)})
    return _survey_json(row)


