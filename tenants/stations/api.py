"""Stations and the service ledger over the API (the same rules as the pages: apply_entry)."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import request

from saas.api import MAX_ID, ApiError, body, integer, iso, page_of, tenant_route
from saas.extensions import db

from .models import CATEGORIES, OFFICES, SUMMARY_MAX, ServiceLog, Station
from .services import StationError, apply_entry


def station_json(s: Station) -> dict:
    return {"id": s.id, "name": s.name, "address": s.address, "opened_on": iso(s.opened_on), "office": s.office,
            "opening_hours": s.opening_hours, "services": s.services, "active": s.active}


def log_json(e: ServiceLog) -> dict:
    return {"id": e.id, "served_on": iso(e.served_on), "station_id": e.station_id, "category": e.category,
            "enterprise_id": e.enterprise_id, "non_member": e.non_member, "handled_by": e.handled_by,
            "summary": e.summary, "outcome": e.outcome, "follow_up_due": iso(e.follow_up_due), "follow_up": e.follow_up,
            "case_status": e.case_status}


def _day(value, field: str, fields: dict, required=False):
    if value in (None, ""):
        if required:
            fields[field] = "required ISO 8601 date"
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        fields[field] = "an ISO 8601 date (YYYY-MM-DD)"


@tenant_route("/stations", "stations.view")
def stations():
    return page_of(sa.select(Station).order_by(Station.name, Station.id), station_json)


STATION_FIELDS = ("name", "address", "opened_on", "office", "opening_hours", "services")
LOG_FIELDS = ("served_on", "station_id", "category", "enterprise_id", "non_member", "handled_by", "summary", "outcome",
              "follow_up_due", "follow_up", "case_status")


@tenant_route("/stations", "stations.manage", methods=("POST",))
def create_station():
    data = body()
    fields = {k: "unknown field" for k in set(data) - set(STATION_FIELDS)}
    if not isinstance(data.get("name"), str) or not data["name"].strip() or len(data["name"]) > 200:
        fields["name"] = "required text, at most 200 characters"
    if data.get("office", "independent") not in OFFICES:
        fields["office"] = f"one of {', '.join(OFFICES)}"
    for key, limit in (("address", 300), ("opening_hours", 200), ("services", 4000)):
        if key in data and (not isinstance(data[key], str) or len(data[key]) > limit):
            fields[key] = f"text, at most {limit} characters"
    opened = _day(data.get("opened_on"), "opened_on", fields)
    if fields:
        raise ApiError(422, fields=fields)
    station = Station(name=data["name"].strip(), address=data.get("address", ""), opened_on=opened,
                      office=data.get("office", "independent"), opening_hours=data.get("opening_hours", ""),
                      services=data.get("services", ""))
    db.session.add(station)
    db.session.commit()
    return station_json(station), 201


@tenant_route("/service-logs", "log.view")
def service_logs():
    fields = {}
    start, end = _day(request.args.get("from"), "from", fields), _day(request.args.get("to"), "to", fields)
    category = request.args.get("category")
    if category and category not in CATEGORIES:
        fields["category"] = f"one of {', '.join(CATEGORIES)}"
    enterprise_id = request.args.get("enterprise_id")
    if enterprise_id and not re.fullmatch(r"[0-9]+", enterprise_id):  # ASCII: "²" is a digit to isdigit()
        fields["enterprise_id"] = "an integer"
    if fields:
        raise ApiError(400, fields=fields)
    select = sa.select(ServiceLog).order_by(ServiceLog.served_on.desc(), ServiceLog.id.desc())
    if start:
        select = select.where(ServiceLog.served_on >= start)
    if end:
        select = select.where(ServiceLog.served_on <= end)
    if category:
        select = select.where(ServiceLog.category == category)
    if enterprise_id:  # an id beyond the integer range matches nothing (nor is read: 5,000 digits)
        eid = int(enterprise_id) if len(enterprise_id) <= len(str(MAX_ID)) else None
        select = select.where(ServiceLog.enterprise_id == eid if integer(eid) else sa.false())
    return page_of(select, log_json)


@tenant_route("/service-logs", "log.write", methods=("POST",))
def create_service_log():
    data = body()
    fields = {k: "unknown field" for k in set(data) - set(LOG_FIELDS)}
    served = _day(data.get("served_on"), "served_on", fields, required=True)
    due = _day(data.get("follow_up_due"), "follow_up_due", fields)
    for key in ("station_id", "enterprise_id"):
        if data.get(key) is not None and not integer(data[key]):
            fields[key] = "an integer id"
    if data.get("station_id") is None:
        fields.setdefault("station_id", "required integer")
    if "category" in data and data["category"] not in CATEGORIES:
        fields["category"] = f"one of {', '.join(CATEGORIES)}"
    for key in ("summary", "outcome"):
        if key in data and (not isinstance(data[key], str) or len(data[key]) > SUMMARY_MAX):
            fields[key] = f"text, at most {SUMMARY_MAX} characters"
    for key, limit in (("non_member", 200), ("handled_by", 120)):
        if key in data and (not isinstance(data[key], str) or len(data[key]) > limit):
            fields[key] = f"text, at most {limit} characters"
    if data.get("follow_up", "done") not in ("open", "done"):
        fields["follow_up"] = "open or done"
    if fields:
        raise ApiError(422, fields=fields)
    try:
        entry = apply_entry(ServiceLog(), {**data, "served_on": served, "follow_up_due": due,
                                           "category": data.get("category")})
        db.session.commit()
    except StationError as exc:
        db.session.rollback()
        raise ApiError(422, str(exc), {exc.field or "category": str(exc)})
    return log_json(entry), 201
