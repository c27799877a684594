"""Training events over the API, with attendance [{"enterprise_id", "headcount"}]."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g
from sqlalchemy.orm import selectinload

from saas.api import ApiError, body, integer, iso, page_of, tenant_route
from saas.extensions import db

from .models import KINDS, ORGANISERS, TrainingEvent
from .services import TrainingError, apply_event, set_attendance
from .views import _own_events

FIELDS = ("title", "kind", "organiser", "organiser_enterprise_id", "organiser_name", "held_on", "hours", "venue",
          "online", "trainer", "topics", "attendance")


def event_json(e: TrainingEvent) -> dict:
    rows = e.attendance
    if g.access.role == "enterprise":
        rows = [a for a in rows if a.enterprise_id == g.access.enterprise_id]
    return {"id": e.id, "title": e.title, "kind": e.kind, "organiser": e.organiser,
            "organiser_enterprise_id": e.organiser_enterprise_id, "held_on": iso(e.held_on), "hours": e.hours,
            "venue": e.venue, "online": e.online, "trainer": e.trainer,
            "attendance": [{"enterprise_id": a.enterprise_id, "headcount": a.headcount} for a in rows]}


@tenant_route("/trainings", "training.events")
def trainings():
    select = sa.select(TrainingEvent).options(selectinload(TrainingEvent.attendance)) \
        .order_by(TrainingEvent.held_on.desc(), TrainingEvent.id.desc())
    return page_of(_own_events(select), event_json)


@tenant_route("/trainings", "training.record", methods=("POST",))
def create_training():
    data = body()
    fields = {k: "unknown field" for k in set(data) - set(FIELDS)}
    if not isinstance(data.get("title"), str) or not data["title"].strip() or len(data["title"]) > 200:
        fields["title"] = "required text, at most 200 characters"
    if data.get("kind", "training") not in KINDS:
        fields["kind"] = f"one of {', '.join(KINDS)}"
    if data.get("organiser", "base") not in ORGANISERS:
        fields["organiser"] = f"one of {', '.join(ORGANISERS)}"
    try:
        held = date.fromisoformat(data.get("held_on"))
    except (TypeError, ValueError):
        fields["held_on"] = "required ISO 8601 date"
        held = None
    if "hours" in data and (not isinstance(data["hours"], (int, float)) or isinstance(data["hours"], bool)
                            or not 0 <= data["hours"] <= 1000):
        fields["hours"] = "a number from 0 to 1000"
    counts = {}
    rows = data.get("attendance", [])
    if not isinstance(rows, list):
        fields["attendance"] = "a list of {enterprise_id, headcount}"
    else:
        for n, row in enumerate(rows):
            if not isinstance(row, dict) or not integer(row.get("enterprise_id")) or \
                    not integer(row.get("headcount"), 0, 1_000_000):
                fields[f"attendance[{n}]"] = "enterprise_id and headcount (integers, headcount >= 0)"
            elif row["enterprise_id"] in counts:
                fields[f"attendance[{n}]"] = "the same enterprise twice"
            else:
                counts[row["enterprise_id"]] = (row["headcount"], "")
    if data.get("organiser_enterprise_id") is not None and not integer(data["organiser_enterprise_id"]):
        fields["organiser_enterprise_id"] = "an integer id or null"
    if "online" in data and not isinstance(data["online"], bool):
        fields["online"] = "true or false"
    for key, limit in (("organiser_name", 200), ("venue", 200), ("trainer", 200), ("topics", 4000)):
        if key in data and (not isinstance(data[key], str) or len(data[key]) > limit):
            fields[key] = f"text, at most {limit} characters"
    if fields:
        raise ApiError(422, fields=fields)
    event_data = {"title": data["title"].strip(), "kind": data.get("kind", "training"),
                  "organiser": data.get("organiser", "base"), "organiser_enterprise_id": data.get("organiser_enterprise_id"),
                  "organiser_name": data.get("organiser_name", ""), "held_on": held, "hours": data.get("hours", 0),
                  "venue": data.get("venue", ""), "online": bool(data.get("online")), "trainer": data.get("trainer", ""),
                  "topics": data.get("topics", "")}
    if g.access.role == "enterprise":  # their own internal training, their own headcount only
        event_data.update(organiser="enterprise", organiser_enterprise_id=g.access.enterprise_id)
        if set(counts) - {g.access.enterprise_id}:
            raise ApiError(403, "enterprise users record their own headcount only")
    try:
        event = apply_event(TrainingEvent(created_by_id=g.api_user.id), event_data)
        set_attendance(event, counts)
        db.session.commit()
    except TrainingError as exc:
        db.session.rollback()
        # A row at fault is named by its place in the request's attendance list.
        where = {row["enterprise_id"]: n for n, row in enumerate(rows)}
        fields = {f"attendance[{where[eid]}]": message for eid, message in exc.rows.items() if eid in where}
        raise ApiError(422, str(exc), fields or {exc.field or "attendance": str(exc)})
    return event_json(event), 201


