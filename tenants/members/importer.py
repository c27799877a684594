"""Roster import: validate every row first; any error → nothing is written and every error is
reported with its row, column and reason. A column the sheet lacks leaves its field alone; an
empty cell in a column it has clears the field, and the preview shows each such change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from saas.audit import record_created
from saas.bulk import insert_rows
from saas.extensions import db
from saas.tenancy import current_tenant_id

from .models import Enterprise, LiaisonPerson
from .services import MemberError, apply_profile, normalise_credit_code, normalise_landline, normalise_mobile, \
    profile_values, status_values
from .spreadsheet import BOOLS, DATES, DEMONSTRATION_WORDS, STATUS_WORDS, STATUS_ZH, RowError, Sheet, _header, _text, parse_bool, \
    parse_date, read_rows

MODES = ("create", "update")
LIAISON_DETAILS = ("position", "mobile", "landline", "email")
# Enterprises the preview lists one by one (it counts them all).
PREVIEW_LIMIT = 200
MAX_EMPLOYEES = 10_000_000
# The column sizes of the models: longer text is a row error, not a database error.
MAX_LENGTHS = {"name": 200, "industry": 120,
               "withdrawal_reason": 1000, "liaison_name": 120, "liaison_position": 120, "liaison_mobile": 32,
               "liaison_landline": 32,
               "liaison_email": 254}


@dataclass
class Change:
    """One enterprise of a preview: each field the import changes, (column key, old, new)."""
    row: int
    name: str
    credit_code: str
    fields: list[tuple[str, object, object]] = field(default_factory=list)

    def as_dict(self) -> dict:
        """In the sheet's words (the preview page, a preview job's result)."""
        return {"row": self.row, "name": self.name, "credit_code": self.credit_code,
                "fields": [{"column": _header(k), "old": shown(k, old), "new": shown(k, new)}
                           for k, old, new in self.fields]}

    def as_json(self) -> dict:
        """Typed values (the API)."""
        return {"row": self.row, "name": self.name, "credit_code": self.credit_code,
                "fields": [{"field": k, "column": _header(k), "old": _json(old), "new": _json(new)}
                           for k, old, new in self.fields]}


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # A preview's details: the first PREVIEW_LIMIT enterprises that change, and that are new.
    changes: list[Change] = field(default_factory=list)
    new: list[Change] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def shown(key: str, value) -> str:
    """A value as the sheet writes it; "" for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if key == "status":
        return STATUS_ZH.get(value, value)
    return str(value)


def _json(value):
    return value.isoformat() if isinstance(value, date) else value


def _clean(number: int, raw: dict, errors: list[RowError]) -> dict:
    """Typed values of one row; problems are appended to `errors`."""
    def fail(key, message):
        errors.append(RowError(number, _header(key), message))

    data = {k: _text(v) for k, v in raw.items() if k not in DATES and k not in BOOLS and k != "employees"}
    for key, limit in MAX_LENGTHS.items():
        if len(data.get(key, "")) > limit:
            fail(key, _("Too long: at most %(n)d characters.", n=limit))
    if not data.get("name"):
        fail("name", _("The name is missing."))
    try:
        data["credit_code"] = normalise_credit_code(data.get("credit_code", ""))
    except MemberError as exc:
        fail("credit_code", str(exc) if data.get("credit_code") else _("The credit code is missing."))
    if "employees" in raw:  # no column, no change (an empty cell is 0)
        try:
            text = _text(raw["employees"])
            data["employees"] = int(float(text)) if text else 0
            if not 0 <= data["employees"] <= MAX_EMPLOYEES:
                raise ValueError
        except ValueError:
            fail("employees", _("Not a whole number: %(value)s", value=_text(raw["employees"])))
    for key in DATES:
        if key in raw:
            try:
                data[key] = parse_date(raw[key])
            except ValueError:
                fail(key, _("Not a date (use 2024-03-01): %(value)s", value=_text(raw[key])))
    for key in BOOLS:
        if key in raw:
            try:
                data[key] = parse_bool(raw[key])
            except ValueError:
                fail(key, _("Write 是 or 否, not %(value)s", value=_text(raw[key])))
    status = data.get("status", "")
    if status:
        if status.lower() in DEMONSTRATION_WORDS or status in DEMONSTRATION_WORDS:
            fail("status", _("A demonstration unit is recognised by a bureau, not imported: import it as a "
                             "liaison enterprise and record the recognition under Demonstration units."))
        elif status.lower() not in STATUS_WORDS and status not in STATUS_WORDS:
            fail("status", _("Unknown status: %(value)s", value=status))
        else:
            data["status"] = STATUS_WORDS.get(status, STATUS_WORDS.get(status.lower()))
            if data["status"] == "withdrawn" and not data.get("withdrawal_reason"):
                fail("withdrawal_reason", _("A withdrawn enterprise needs a withdrawal reason."))
    email = data.get("liaison_email")
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            fail("liaison_email", _("Not a valid email address: %(value)s", value=email))
    # The same number checks as the liaison form and the API, stored as they normalise it.
    for key, normalise in (("liaison_mobile", normalise_mobile), ("liaison_landline", normalise_landline)):
        if data.get(key):
            try:
                data[key] = normalise(data[key])
            except MemberError as exc:
                fail(key, str(exc))
    if any(data.get(k) for k in ("liaison_position", "liaison_mobile", "liaison_landline", "liaison_email")) \
            and not data.get("liaison_name"):
        fail("liaison_name", _("Contact details are given but the liaison person's name is missing."))
    return data


def validate(source: bytes | Sheet, mode: str) -> tuple[list[tuple[int, dict]], dict[str, str], list[RowError]]:
    """Rows, the roster's credit codes (→ names) and every problem found, from the file or the
    rows already read from it."""
    sheet = source if isinstance(source, Sheet) else read_rows(source)
    errors = list(sheet.errors)
    known = dict(db.session.execute(sa.select(Enterprise.credit_code, Enterprise.name)).all())
    seen: dict[str, int] = {}
    rows = []
    for number, raw in sheet.rows:
        row_errors: list[RowError] = []
        values = _clean(number, raw, row_errors)
        code = values.get("credit_code")
        if code and not row_errors:
            if code in seen:
                row_errors.append(RowError(number, _header("credit_code"),
                                           _("The same credit code is on row %(row)d.", row=seen[code])))
            elif mode == "create" and code in known:
                row_errors.append(RowError(number, _header("credit_code"),
                                           _("Already in the roster: %(name)s.", name=known[code])))
            seen.setdefault(code, number)
        errors.extend(row_errors)
        rows.append((number, values))
    if not rows and not errors:
        errors.append(RowError(1, "", _("The file has no enterprise rows.")))
    return rows, known, errors


def run_import(source: bytes | Sheet, mode: str, progress=None, again: bool = True) -> ImportResult:
    """Validate, then write all rows in the current transaction (the caller commits), or none."""
    if mode not in MODES:
        raise ValueError(mode)
    rows, known, errors = validate(source, mode)
    result = ImportResult(errors=errors)
    if errors:
        return result
    updates = [values for _number, values in rows if values["credit_code"] in known]
    new = [values for _number, values in rows if values["credit_code"] not in known]
    if new:
        try:
            _insert(new)
        except IntegrityError:
            if not again:
                raise
            # Another import (the same file posted twice at once) added some of these credit codes
            # after they were checked and before this one wrote them. Start over from what is
            # there now: a "create" import then reports those rows as already in the roster, as
            # it would have a moment later; an "update" import updates them.
            db.session.rollback()
            return run_import(source, mode, progress, again=False)
        result.created = len(new)
        if progress:
            progress(int(100 * len(new) / len(rows)))
    if updates:
        existing = _existing(updates)
        for i, values in enumerate(updates, start=1):
            enterprise = existing[values["credit_code"]]
            if apply_profile(enterprise, values, _liaison(values, enterprise.current_liaison)):
                result.updated += 1
            else:
                result.unchanged += 1
            if progress and i % 200 == 0:
                progress(int(100 * (len(new) + i) / len(rows)))
        db.session.flush()
    return result


def preview_import(source: bytes | Sheet, mode: str) -> ImportResult:
    """What run_import would do, without writing anything: the counts, the new enterprises and,
    per enterprise that changes, each field with its old and new value."""
    if mode not in MODES:
        raise ValueError(mode)
    rows, known, errors = validate(source, mode)
    result = ImportResult(errors=errors)
    if errors:
        return result
    existing = _existing([values for _number, values in rows if values["credit_code"] in known])
    for number, values in rows:
        enterprise = existing.get(values["credit_code"])
        if enterprise is None:
            result.created += 1
            if len(result.new) < PREVIEW_LIMIT:
                result.new.append(Change(number, values["name"], values["credit_code"]))
            continue
        fields = changes(enterprise, values)
        if not fields:
            result.unchanged += 1
            continue
        result.updated += 1
        if len(result.changes) < PREVIEW_LIMIT:
            result.changes.append(Change(number, enterprise.name, enterprise.credit_code, fields))
    return result


def changes(enterprise: Enterprise, values: dict) -> list[tuple[str, object, object]]:
    """(column key, stored value, value after the import) of each field the row changes, the
    way apply_profile and set_liaison will set them."""
    target = profile_values(values)
    status = values.get("status")
    if status and status != enterprise.status:
        target.update(status_values(status, values.get("withdrawn_on"), values.get("withdrawal_reason", ""),
                                    enterprise.status))
    elif status == "withdrawn":
        if (values.get("withdrawal_reason") or "").strip():
            target["withdrawal_reason"] = values["withdrawal_reason"].strip()
        if values.get("withdrawn_on"):
            target["withdrawn_on"] = values["withdrawn_on"]
    out = [(key, getattr(enterprise, key), value) for key, value in target.items() if getattr(enterprise, key) != value]
    current = enterprise.current_liaison
    person = _liaison(values, current)
    if person:
        for key in ("name", *LIAISON_DETAILS):
            old = getattr(current, key) if current is not None else ""
            if old != person[key]:
                out.append((f"liaison_{key}", old, person[key]))
    return out


def _existing(rows: list[dict]) -> dict[str, Enterprise]:
    codes = [values["credit_code"] for values in rows]
    return {e.credit_code: e for e in db.session.scalars(
        sa.select(Enterprise).where(Enterprise.credit_code.in_(codes)).options(selectinload(Enterprise.liaisons)))}


def _liaison(values: dict, current: LiaisonPerson | None = None) -> dict | None:
    """The row's liaison person, or None (no name: the liaison stays as is). For the person in
    office, a detail whose column the sheet lacks stays as it is; a new person starts without."""
    name = (values.get("liaison_name") or "").strip()
    if not name:
        return None
    if current is not None and current.erased_at is not None and current.name == name:
        return None  # erased on request (tenants/members/privacy.py): never filled in again
    same = current is not None and current.name == name
    person = {"name": name}
    for key in LIAISON_DETAILS:
        column = f"liaison_{key}"
        person[key] = values[column] if column in values else (getattr(current, key) if same else "")
    return person


def _insert(rows: list[dict]) -> None:
    """New enterprises, their liaison persons and the audit events of both as bulk inserts:
    adding 2,000 objects one by one (unit of work, flush hooks) takes ten times as long. Same
    values as apply_profile and set_liaison would store."""
    tenant_id, today = current_tenant_id(), date.today()
    enterprises = []
    for values in rows:
        row = {"tenant_id": tenant_id, "withdrawn_on": None, "withdrawal_reason": "", **profile_values(values)}
        row.update(status_values(values.get("status") or "liaison", values.get("withdrawn_on"),
                                 values.get("withdrawal_reason", "")))
        enterprises.append(row)
    insert_rows(Enterprise.__table__, enterprises, key="credit_code")
    liaisons = []
    for row, values in zip(enterprises, rows):
        person = _liaison(values)
        if person:
            liaisons.append({"tenant_id": tenant_id, "enterprise_id": row["id"], "name": person["name"].strip(),
                             "position": person["position"] or "", "mobile": person["mobile"] or "",
                             "landline": person["landline"] or "", "email": person["email"] or "",
                             # As apply_profile: a new member's first liaison since it joined.
                             "started_on": min(row.get("joined_on") or today, today), "ended_on": None})
    insert_rows(LiaisonPerson.__table__, liaisons, key="enterprise_id")
    record_created(Enterprise, enterprises, label=lambda row: row["name"])
    record_created(LiaisonPerson, liaisons, label=lambda row: row["name"])


def result_summary(result: ImportResult) -> list[list]:
    """Label/value pairs the job page shows, in the current locale."""
    return [[_("Created"), result.created], [_("Updated"), result.updated], [_("Unchanged"), result.unchanged]]
