"""Roster import: validate every row first; any error → nothing is written and every error is
reported with its row, column and reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from saas.audit import record_created
from saas.bulk import insert_rows
from saas.extensions import db
from saas.tenancy import current_tenant_id

from .models import Enterprise, LiaisonPerson
from .services import MemberError, apply_profile, normalise_credit_code, profile_values, status_values
from .spreadsheet import BOOLS, DATES, STATUS_WORDS, RowError, _header, _text, parse_bool, parse_date, read_rows

MODES = ("create", "update")
MAX_EMPLOYEES = 10_000_000
# The column sizes of the models: longer text is a row error, not a database error.
MAX_LENGTHS = {"name": 200, "industry": 120, "recognised_by": 200, "certificate_no": 64,
               "withdrawal_reason": 1000, "liaison_name": 120, "liaison_position": 120, "liaison_mobile": 32,
               "liaison_email": 254}


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


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
    try:
        text = _text(raw.get("employees"))
        data["employees"] = int(float(text)) if text else 0
        if not 0 <= data["employees"] <= MAX_EMPLOYEES:
            raise ValueError
    except ValueError:
        fail("employees", _("Not a whole number: %(value)s", value=_text(raw.get("employees"))))
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
        if status.lower() not in STATUS_WORDS and status not in STATUS_WORDS:
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
    if any(data.get(k) for k in ("liaison_position", "liaison_mobile", "liaison_email")) and not data.get("liaison_name"):
        fail("liaison_name", _("Contact details are given but the liaison person's name is missing."))
    return data


def validate(data: bytes, mode: str) -> tuple[list[tuple[int, dict]], dict[str, str], list[RowError]]:
    """Rows, the roster's credit codes (→ names) and every problem found."""
    sheet = read_rows(data)
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


def run_import(data: bytes, mode: str, progress=None) -> ImportResult:
    """Validate, then write all rows in the current transaction (the caller commits), or none."""
    if mode not in MODES:
        raise ValueError(mode)
    rows, known, errors = validate(data, mode)
    result = ImportResult(errors=errors)
    if errors:
        return result
    updates = [values for _number, values in rows if values["credit_code"] in known]
    new = [values for _number, values in rows if values["credit_code"] not in known]
    if new:
        _insert(new)
        result.created = len(new)
        if progress:
            progress(int(100 * len(new) / len(rows)))
    if updates:
        existing = {e.credit_code: e for e in db.session.scalars(
            sa.select(Enterprise).where(Enterprise.credit_code.in_([v["credit_code"] for v in updates]))
            .options(selectinload(Enterprise.liaisons)))}
        for i, values in enumerate(updates, start=1):
            if apply_profile(existing[values["credit_code"]], values, _liaison(values)):
                result.updated += 1
            else:
                result.unchanged += 1
            if progress and i % 200 == 0:
                progress(int(100 * (len(new) + i) / len(rows)))
        db.session.flush()
    return result


def _liaison(values: dict) -> dict | None:
    if not values.get("liaison_name"):
        return None
    return {"name": values["liaison_name"], "position": values.get("liaison_position", ""),
            "mobile": values.get("liaison_mobile", ""), "email": values.get("liaison_email", "")}


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
                             "email": person["email"] or "", "started_on": today, "ended_on": None})
    insert_rows(LiaisonPerson.__table__, liaisons, key="enterprise_id")
    record_created(Enterprise, enterprises, label=lambda row: row["name"])
    record_created(LiaisonPerson, liaisons, label=lambda row: row["name"])


def result_summary(result: ImportResult) -> list[list]:
    """Label/value pairs the job page shows, in the current locale."""
    return [[_("Created"), result.created], [_("Updated"), result.updated], [_("Unchanged"), result.unchanged]]
