"""Guidance visits over the API: instructors record and edit their own; enterprise users read
theirs and acknowledge."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g

from saas.api import ApiError, body, integer, iso, page_of, tenant_route
from saas.extensions import db

from .models import MODES, STATUSES, TOPICS, GuidanceVisit
from .services import VisitError, acknowledge, instructor_ids, may_edit, save_visit, visit_or_404

FIELDS = ("enterprise_id", "visited_on", "mode", "topics", "instructor_ids", "findings", "recommendations",
          "follow_up_due", "status")


def visit_json(v: GuidanceVisit) -> dict:
    return {"id": v.id, "enterprise_id": v.enterprise_id, "visited_on": iso(v.visited_on), "mode": v.mode,
            "topics": v.topics, "instructor_ids": sorted(instructor_ids(v)), "findings": v.findings,
            "recommendations": v.recommendations, "follow_up_due": iso(v.follow_up_due), "status": v.status,
            "acknowledged_at": iso(v.acknowledged_at), "rectification": v.rectification}


def _parse(data: dict, current: GuidanceVisit | None) -> dict:
    fields = {k: "unknown field" for k in set(data) - set(FIELDS)}
    out = {}
    for key in ("visited_on", "follow_up_due"):
        if key in data and data[key] is not None:
            try:
                out[key] = date.fromisoformat(data[key])
            except (TypeError, ValueError):
                fields[key] = "an ISO 8601 date (YYYY-MM-DD)"
        elif key in data:
            if key == "visited_on":
                fields[key] = "required ISO 8601 date"
            out[key] = None
    if "enterprise_id" in data and not integer(data["enterprise_id"]):
        fields["enterprise_id"] = "an integer id"
    if "mode" in data and data["mode"] not in MODES:
        fields["mode"] = f"one of {', '.join(MODES)}"
    if "status" in data and data["status"] not in STATUSES:
        fields["status"] = f"one of {', '.join(STATUSES)}"
    if "topics" in data and (not isinstance(data["topics"], list) or any(t not in TOPICS for t in data["topics"])):
        fields["topics"] = f"a list of {', '.join(TOPICS)}"
    if "instructor_ids" in data and (not isinstance(data["instructor_ids"], list) or
                                     any(not integer(i) for i in data["instructor_ids"])):
        fields["instructor_ids"] = "a list of user ids"
    for key in ("findings", "recommendations"):
        if key in data and (not isinstance(data[key], str) or len(data[key]) > 4000):
            fields[key] = "text, at most 4000 characters"
    if current is None:
        for key in ("enterprise_id", "visited_on", "topics"):
            if key not in data:
                fields.setdefault(key, "required")
    if fields:
        raise ApiError(422, fields=fields)
    merged = {} if current is None else {
        "enterprise_id": current.enterprise_id, "visited_on": current.visited_on, "mode": current.mode,
        "topics": current.topics, "findings": current.findings, "recommendations": current.recommendations,
        "follow_up_due": current.follow_up_due, "status": current.status,
        "instructor_ids": sorted(instructor_ids(current))}
    merged.update({k: v for k, v in data.items() if k not in out})
    merged.update(out)
    merged.setdefault("mode", "on_site")
    return merged


@tenant_route("/visits", "visits.view")
def visits():
    select = sa.select(GuidanceVisit).order_by(GuidanceVisit.visited_on.desc(), GuidanceVisit.id.desc())
    if g.access.role == "enterprise":
        select = select.where(GuidanceVisit.enterprise_id == g.access.enterprise_id)
    return page_of(select, visit_json)


@tenant_route("/visits", "visits.record", methods=("POST",))
def create_visit():
    try:
        visit = save_visit(GuidanceVisit(), _parse(body(), None), g.api_user.id)
        db.session.commit()
    except VisitError as exc:
        db.session.rollback()
        raise ApiError(422, str(exc), {exc.field or "enterprise_id": str(exc)})
    return visit_json(visit), 201


@tenant_route("/visits/<int:visit_id>", "visits.record", methods=("PATCH",))
def update_visit(visit_id):
    visit = visit_or_404(visit_id)
    if not may_edit(visit, g.api_user.id):
        raise ApiError(403, "only the visit's own instructors may edit it")
    try:
        save_visit(visit, _parse(body(), visit), g.api_user.id)
        db.session.commit()
    except VisitError as exc:
        db.session.rollback()
        raise ApiError(422, str(exc), {exc.field or "enterprise_id": str(exc)})
    return visit_json(visit)


@tenant_route("/visits/<int:visit_id>/acknowledge", "visits.acknowledge", methods=("POST",))
def acknowledge_visit(visit_id):
    visit = visit_or_404(visit_id)
    acknowledge(visit, g.api_user.id)
    db.session.commit()
    return visit_json(visit)
