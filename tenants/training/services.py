"""Training events and attendance: rules for who records what, the attendance grid and the
sign-in sheet import (all rows valid or nothing written)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _
from flask_login import current_user

from saas import workbook
from saas.extensions import db
from tenants.members.models import Enterprise
from tenants.members.services import MemberError, normalise_credit_code

from . import names as trainee_names
from .models import KINDS, ORGANISERS, Attendance, TrainingEvent

MAX_HEADCOUNT = 1_000_000
# A sign-in sheet has a row per attending member, three columns: a few hundred KB. It is read in
# the request, so a file that unpacks to more is refused unread (2 MB of XML parse in ~0.5 s).
SIGN_IN_ROWS = 10_000
SIGN_IN_BYTES = 2 * 1024 * 1024


class TrainingError(ValueError):
    """`rows`: the attendance rows at fault, {enterprise id: message}, for the grid, the API and
    the sign-in sheet to point at."""

    def __init__(self, message: str, field: str | None = None, rows: dict[int, str] | None = None):
        super().__init__(message)
        self.field = field
        self.rows = rows or {}


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


def may_read_file(attachment) -> bool:
    """A sign-in sheet names every member's attendees: only the roles that manage training read
    it, and whoever uploaded it (an enterprise's sheet of its own internal training). Materials
    go to everyone who may see the event."""
    return (attachment.label != "signin" or g.access.can("training.manage")
            or (attachment.uploaded_by_id is not None and attachment.uploaded_by_id == current_user.id))


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
    """Set the attendance of the enterprises in `counts` ({enterprise id: (headcount, names of
    those trained)}); a zero headcount removes that enterprise's row. Enterprises not in
    `counts` keep their rows: a form shows some members (today's, or an enterprise user's own)
    and changes those only, so editing an event never erases the attendance of a member that has
    since withdrawn. Ids are checked against this tenant's members."""
    message = _("A headcount must be between 0 and %(n)d.", n=MAX_HEADCOUNT)
    bad = {eid: message for eid, (n, _k) in counts.items() if not 0 <= n <= MAX_HEADCOUNT}
    if bad:
        raise TrainingError(message, "attendance", bad)
    wanted = {eid: (n, (names or "").strip()) for eid, (n, names) in counts.items() if n > 0}
    known = set(db.session.scalars(sa.select(Enterprise.id).where(Enterprise.id.in_(wanted))))
    if known != set(wanted):
        raise TrainingError(_("Unknown member enterprise."), "attendance")
    over = headcount_problems(event, {eid: n for eid, (n, _k) in wanted.items()})
    if over:
        raise TrainingError(next(iter(over.values())), "attendance", over)
    wrong = {eid: problem for eid, (n, names) in wanted.items() if (problem := names_problem(n, names))}
    if wrong:
        labelled = {r.id: _("Names of those trained (%(name)s): %(problem)s", name=r.name, problem=wrong[r.id])
                    for r in db.session.execute(sa.select(Enterprise.id, Enterprise.name)
                                                .where(Enterprise.id.in_(wrong)).order_by(Enterprise.name))}
        raise TrainingError(next(iter(labelled.values())), "names", labelled)
    current = {a.enterprise_id: a for a in event.attendance}
    for enterprise_id in counts:
        if enterprise_id not in wanted and enterprise_id in current:
            event.attendance.remove(current[enterprise_id])
    for enterprise_id, (headcount, names) in wanted.items():
        row = current.get(enterprise_id)
        if row is None:
            event.attendance.append(Attendance(enterprise_id=enterprise_id, headcount=headcount, key_staff=names))
        else:
            if row.headcount != headcount:
                row.headcount = headcount
            if row.key_staff != names:
                row.key_staff = names  # its trainee rows follow (Attendance._names_to_trainees)


def names_problem(headcount: int, text: str) -> str | None:
    """What is wrong with the names of those trained at one attendance, if anything: they are
    some or all of the people counted, each a name of a person (names.py)."""
    if len(text) > trainee_names.TEXT_MAX:
        return _("The names are longer than %(n)d characters.", n=trainee_names.TEXT_MAX)
    keys = trainee_names.split(text)
    long = next((k for k in keys if len(k) > trainee_names.NAME_MAX), None)
    if long is not None:
        return _("A name is longer than %(n)d characters: %(name)s", n=trainee_names.NAME_MAX, name=long[:20] + "…")
    if len(keys) > headcount:
        return _("%(names)d different names, more than the %(n)d who attended.", names=len(keys), n=headcount)
    return None


def set_own_names(event: TrainingEvent, enterprise_id: int | None, text: str) -> None:
    """An enterprise user names its own people at an event another organiser recorded: the
    headcount stays the organiser's, the names (at most that many) are the enterprise's."""
    row = next((a for a in event.attendance if a.enterprise_id == enterprise_id), None)
    if row is None:
        abort(404)
    text = (text or "").strip()
    problem = names_problem(row.headcount, text)
    if problem:
        raise TrainingError(problem, "names")
    if row.key_staff != text:
        row.key_staff = text


def headcount_problems(event: TrainingEvent, headcounts: dict[int, int]) -> dict[int, str]:
    """{enterprise id: message} for each new or changed headcount above the enterprise's
    employees (when its profile gives them). A headcount already on record is left alone: the
    enterprise may have shrunk since, and history is not re-judged by today's figures."""
    before = {a.enterprise_id: a.headcount for a in event.attendance}
    changed = [eid for eid, n in headcounts.items() if before.get(eid) != n]
    if not changed:
        return {}
    return {r.id: _("Attended (%(name)s): %(n)d is more than its %(employees)d employees.",
                    name=r.name, n=headcounts[r.id], employees=r.employees)
            for r in db.session.execute(sa.select(Enterprise.id, Enterprise.name, Enterprise.employees)
                                        .where(Enterprise.id.in_(changed)).order_by(Enterprise.name))
            if r.employees and headcounts[r.id] > r.employees}


@dataclass
class SignInResult:
    counts: dict[int, tuple[int, str]] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    rows: dict[int, int] = field(default_factory=dict)  # enterprise id → its row on the sheet


def read_sign_in(data: bytes) -> SignInResult:
    """A sign-in sheet: one row per attending enterprise — name or credit code, headcount,
    optional names of those who came (stored, and counted as trained staff). Every row is
    checked; with any error nothing is used."""
    result = SignInResult()
    rows = list(workbook.rows(data, max_rows=SIGN_IN_ROWS, max_cols=3, max_unpacked=SIGN_IN_BYTES))
    members = db.session.execute(sa.select(Enterprise.id, Enterprise.name, Enterprise.credit_code)
                                 .where(Enterprise.status != "withdrawn")).all()
    by_name = {m.name: m.id for m in members}
    by_code = {m.credit_code: m.id for m in members}
    seen: dict[int, int] = result.rows
    for number, cells in rows:
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
        except (ValueError, OverflowError):  # OverflowError: "inf"
            result.errors.append({"row": number, "column": "B", "message": _("Not a headcount: %(value)s", value=count)})
            continue
        if enterprise_id in seen:
            result.errors.append({"row": number, "column": "A",
                                  "message": _("The same enterprise is on row %(row)d.", row=seen[enterprise_id])})
            continue
        seen[enterprise_id] = number
        problem = names_problem(headcount, names)
        if problem:
            result.errors.append({"row": number, "column": "C", "message": problem})
            continue
        result.counts[enterprise_id] = (headcount, names)
    if not result.counts and not result.errors:
        result.errors.append({"row": 1, "column": "", "message": _("The file lists no attendance.")})
    return result


# --- big tenants: adding attendance by name or credit code (issue 22) -------------------------------

# Above this many members the event form lists the attendance recorded plus an "add" area (the
# picker and a pasted list) instead of one row per member: 400 rows were 16,000 px with no search.
GRID_MAX = 60
PASTE_LINES = 2_000
_COUNT_AFTER_COMMA = re.compile(r"^(.*?)\s*[,，]\s*(\d+)\s*$")


@dataclass
class PastedResult:
    counts: dict[int, tuple[int, str]] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)  # {"row": line number, "column": "", "message"}
    rows: dict[int, int] = field(default_factory=dict)  # enterprise id → its line


class Members:
    """The tenant's members as looked up by a typed or pasted name or credit code: exact name
    (spaces and full-width forms folded) or credit code; a near name is only suggested."""

    def __init__(self):
        self.rows = db.session.execute(sa.select(Enterprise.id, Enterprise.name, Enterprise.credit_code)
                                       .where(Enterprise.status != "withdrawn")).all()
        self.by_name: dict[str, list[int]] = {}
        for r in self.rows:
            self.by_name.setdefault(_key(r.name), []).append(r.id)
        self.by_code = {r.credit_code: r.id for r in self.rows}
        self.names = {r.id: r.name for r in self.rows}

    def find(self, who: str) -> tuple[int | None, str | None]:
        """(enterprise id, None) or (None, why not)."""
        ids = self.by_name.get(_key(who), [])
        if len(ids) == 1:
            return ids[0], None
        if len(ids) > 1:
            return None, _("%(n)d members are called %(value)s: give its credit code.", n=len(ids), value=who)
        try:
            found = self.by_code.get(normalise_credit_code(who))
        except MemberError:
            found = None
        if found is not None:
            return found, None
        near = [r.name for r in self.rows if _key(who) and _key(who) in _key(r.name)]
        if near:
            return None, _("Not a member enterprise: %(value)s. Did you mean: %(names)s?", value=who,
                           names="、".join(sorted(near)[:3]) + ("…" if len(near) > 3 else ""))
        return None, _("Not a member enterprise: %(value)s", value=who)


def _key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()


def split_pasted(text: str) -> list[tuple[int, str, str, str]] | None:
    """A pasted list as (line number, who, headcount, names) entries, blank lines left out; None
    when it has more than PASTE_LINES lines. One enterprise a line: its name or credit code, then
    optionally a tab or comma and the headcount, then a tab and the names of those trained (the
    columns of a sign-in sheet, copied from a spreadsheet)."""
    lines = (text or "").splitlines()
    if len(lines) > PASTE_LINES:
        return None
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if "\t" in line:
            who, count, names = (line.split("\t", 2) + ["", ""])[:3]
        elif (m := _COUNT_AFTER_COMMA.match(line.strip())):
            who, count, names = m.group(1), m.group(2), ""
        else:
            who, count, names = line, "", ""
        entries.append((number, who.strip(), count.strip(), names.strip()))
    return entries


def read_entries(entries, members: Members, current: dict[int, int]) -> PastedResult:
    """Attendance to add from (row label, who, headcount, names) entries: each names a member by
    name or credit code; without a headcount, the one already recorded, else 1. Every entry is
    checked; with any error nothing is used (the caller writes nothing). `current`:
    {enterprise id: headcount on record}."""
    result = PastedResult()
    for number, who, count, names in entries:
        enterprise_id, problem = members.find(who)
        if enterprise_id is None:
            result.errors.append({"row": number, "column": "", "message": problem})
            continue
        count = unicodedata.normalize("NFKC", count)
        if count and not (count.isdecimal() and 0 < int(count) <= MAX_HEADCOUNT):
            result.errors.append({"row": number, "column": "", "message": _("Not a headcount: %(value)s", value=count)})
            continue
        headcount = int(count) if count else (current.get(enterprise_id) or 1)
        if enterprise_id in result.rows:
            before, name = result.rows[enterprise_id], members.names[enterprise_id]
            result.errors.append({"row": number, "column": "", "message": _(
                "%(name)s is already on line %(row)d.", name=name, row=before) if isinstance(before, int) else _(
                "%(name)s is also the enterprise added above.", name=name)})
            continue
        result.rows[enterprise_id] = number
        problem = names_problem(headcount, names)
        if problem:
            result.errors.append({"row": number, "column": "", "message": problem})
            continue
        result.counts[enterprise_id] = (headcount, names)
    return result
