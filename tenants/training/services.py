"""Training events and attendance: rules for who records what, the attendance grid and the
sign-in sheet import (all rows valid or nothing written)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _
from openpyxl import load_workbook

from saas.extensions import db
from saas.files import UploadError
from tenants.members.models import Enterprise
from tenants.members.services import MemberError, normalise_credit_code

from .models import KINDS, ORGANISERS, Attendance, TrainingEvent

MAX_HEADCOUNT = 1_000_000


class TrainingError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def event_or_404(event_id: int) -> TrainingEvent:
    """An event the current user may see: enterprise users only their own internal training
    and events their enterprise attended."""
    event = db.session.get(TrainingEvent, event_id)
    if event is None:
        abort(404)
    if g.access.role == "enterprise" and not _concerns(event, g.access.enterprise_id):
        abort(404)
    return event


def _concerns(event: TrainingEvent, enterprise_id: int | None) -> bool:
    if event.organiser_enterprise_id == enterprise_id:
        return True
    return db.session.scalar(sa.select(Attendance.id).where(Attendance.event_id == event.id,
                                                            Attendance.enterprise_id == enterprise_id)) is not None


def may_edit(event: TrainingEvent) -> bool:
    if g.access.can("training.manage"):
        return True
    return g.access.can("training.record") and event.organiser_enterprise_id == g.access.enterprise_id


def apply_event(event: TrainingEvent, data: dict) -> TrainingEvent:
    if data["kind"] not in KINDS:
        raise TrainingError(_("Unknown kind."), "kind")
    if data["organiser"] not in ORGANISERS:
        raise TrainingError(_("Unknown organiser."), "organiser")
    organiser_enterprise_id = data.get("organiser_enterprise_id") or None
    if data["organiser"] == "enterprise":
        if organiser_enterprise_id is None or db.session.get(Enterprise, organiser_enterprise_id) is None:
            raise TrainingError(_("Choose the member enterprise that organised it."), "organiser_enterprise_id")
    else:
        organiser_enterprise_id = None
    if data.get("held_on") and data["held_on"] > date.today():
        raise TrainingError(_("Record an event once it has taken place."), "held_on")
    for field_name in ("title", "kind", "organiser", "organiser_name", "held_on", "venue", "online", "trainer", "topics"):
        setattr(event, field_name, data.get(field_name) if data.get(field_name) is not None else "")
    event.hours = float(data.get("hours") or 0)
    event.organiser_enterprise_id = organiser_enterprise_id
    db.session.add(event)
    return event


def set_attendance(event: TrainingEvent, counts: dict[int, tuple[int, str]]) -> None:
    """Replace the event's attendance with {enterprise id: (headcount, key staff)}; a zero or
    missing headcount removes the row. Ids are checked against this tenant's members."""
    for enterprise_id, (headcount, _names) in counts.items():
        if headcount < 0 or headcount > MAX_HEADCOUNT:
            raise TrainingError(_("A headcount must be between 0 and %(n)d.", n=MAX_HEADCOUNT), "attendance")
    wanted = {eid: v for eid, v in counts.items() if v[0] > 0}
    known = set(db.session.scalars(sa.select(Enterprise.id).where(Enterprise.id.in_(wanted))))
    if known != set(wanted):
        raise TrainingError(_("Unknown member enterprise."), "attendance")
    current = {a.enterprise_id: a for a in event.attendance}
    for enterprise_id, row in current.items():
        if enterprise_id not in wanted:
            event.attendance.remove(row)
    for enterprise_id, (headcount, names) in wanted.items():
        row = current.get(enterprise_id)
        if row is None:
            event.attendance.append(Attendance(enterprise_id=enterprise_id, headcount=headcount,
                                               key_staff=(names or "")[:500]))
        elif (row.headcount, row.key_staff) != (headcount, (names or "")[:500]):
            row.headcount, row.key_staff = headcount, (names or "")[:500]


@dataclass
class SignInResult:
    counts: dict[int, tuple[int, str]] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)


def read_sign_in(data: bytes) -> SignInResult:
    """A sign-in sheet: one row per attending enterprise — name or credit code, headcount,
    optional names. Every row is checked; with any error nothing is used."""
    result = SignInResult()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UploadError(_("The file could not be read as an Excel workbook.")) from exc
    members = db.session.execute(sa.select(Enterprise.id, Enterprise.name, Enterprise.credit_code)
                                 .where(Enterprise.status != "withdrawn")).all()
    by_name = {m.name: m.id for m in members}
    by_code = {m.credit_code: m.id for m in members}
    seen: dict[int, int] = {}
    for number, cells in enumerate(rows, start=1):
        cells = list(cells) + [None, None, None]
        who, count, names = (str(c).strip() if c is not None else "" for c in cells[:3])
        if not who and not count:
            continue
        if number == 1 and not count.replace(".", "").isdigit():
            continue  # the header row
        enterprise_id = by_name.get(who)
        if enterprise_id is None:
            try:
                enterprise_id = by_code.get(normalise_credit_code(who))
            except MemberError:
                enterprise_id = None
        if enterprise_id is None:
            result.errors.append({"row": number, "column": "A", "message": _("Not a member enterprise: %(value)s", value=who)})
            continue
        try:
            headcount = int(float(count))
            if not 0 < headcount <= MAX_HEADCOUNT:
                raise ValueError
        except ValueError:
            result.errors.append({"row": number, "column": "B", "message": _("Not a headcount: %(value)s", value=count)})
            continue
        if enterprise_id in seen:
            result.errors.append({"row": number, "column": "A",
                                  "message": _("The same enterprise is on row %(row)d.", row=seen[enterprise_id])})
            continue
        seen[enterprise_id] = number
        result.counts[enterprise_id] = (headcount, names[:500])
    if not result.counts and not result.errors:
        result.errors.append({"row": 1, "column": "", "message": _("The file lists no attendance.")})
    return result
