"""Roster operations shared by the pages, the import and (later) the API."""

from __future__ import annotations

from datetime import date

import re

import phonenumbers
import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _, lazy_gettext as _l
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from saas.extensions import db

from .checklists import ITEMS, STATES
from .models import FLAGS, STATUSES, ChecklistItem, Enterprise, LiaisonPerson, SurveyYear, Vulnerability

PROFILE_FIELDS = ("name", "credit_code", "industry", "employees", "joined_on", "adopted_standard",
                  "adopted_on", *FLAGS)
SURVEY_FIELDS = ("employees", "secrets_identified", "patents", "confidentiality_signed", "noncompete_signed",
                 "key_posts_tiered", "incidents_suffered", "incidents_caused")
# The form's labels, also named by the errors (the API reports the same words).
SURVEY_LABELS = {"employees": _l("Employees"), "secrets_identified": _l("Trade secrets identified"),
                 "patents": _l("Patents"), "confidentiality_signed": _l("Employees with a confidentiality agreement"),
                 "noncompete_signed": _l("Employees with a non-compete agreement"),
                 "key_posts_tiered": _l("Key posts under tiered management"),
                 "incidents_suffered": _l("Infringements suffered (last 2 years)"),
                 "incidents_caused": _l("Infringements caused (last 2 years)")}
# Counts of people among the employees: each at most the headcount, so every rate is 0–100 %.
SURVEY_PEOPLE = ("confidentiality_signed", "noncompete_signed", "key_posts_tiered")


class MemberError(ValueError):
    """The message is for the user; `field` names the form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# GB 32100-2015: the code alphabet (no I, O, S, V, Z) and the weights of the check character.
_CHECK = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ALPHABET = {c: i for i, c in enumerate(_CHECK)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_credit_code(raw: str) -> str:
    """Upper-case, no spaces, and a valid GB 32100-2015 check character — or MemberError."""
    code = (raw or "").replace(" ", "").replace("-", "").strip().upper()
    # A valid code is accepted here, five times faster than stdnum (an import checks thousands);
    # anything else goes to stdnum, which says what is wrong. tests/test_members.py holds the
    # two to the same answers.
    if (len(code) == 18 and all(c in _ALPHABET for c in code) and code[:8].isdigit()
            and code[17] == _CHECK[(31 - sum(_ALPHABET[c] * w for c, w in zip(code, _WEIGHTS))) % 31]):
        return code
    try:
        return uscc.validate(code)
    except InvalidLength:
        raise MemberError(_("A unified social credit code has 18 characters."), "credit_code")
    except InvalidChecksum:
        raise MemberError(_("The check character of this credit code is wrong."), "credit_code")
    except ValidationError:
        raise MemberError(_("This is not a valid unified social credit code."), "credit_code")


def normalise_mobile(raw: str) -> str:
    """A mainland China mobile number as its 11 national digits ("+86 138-0013-8000" →
    "13800138000"), "" for none, or MemberError: a landline or a foreign number is not a mobile."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if (number is None or number.extension or not phonenumbers.is_valid_number_for_region(number, "CN")
            or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE):
        raise MemberError(_("Mobile: %(value)s is not a mainland China mobile number (11 digits, such as "
                            "13912345678). A landline goes under Landline.", value=text[:40]), "mobile")
    return str(number.national_number)


# A fixed line as people write it: area code, number, an extension (转 / 分机 / ext / -).
_LANDLINE = re.compile(r"^[0-9+()\- ]+((转|分机|ext\.?|x|#)\s*[0-9]{1,6})?$", re.IGNORECASE)


def normalise_landline(raw: str) -> str:
    """A landline as written (spaces tidied), "" for none, or MemberError. Kept as typed: the
    extension conventions vary too much for one format; a mobile number belongs under Mobile."""
    text = " ".join((raw or "").split())
    if not text:
        return ""
    digits = sum(c.isdigit() for c in text)
    if len(text) > 32 or not _LANDLINE.match(text) or not 7 <= digits <= 20:
        raise MemberError(_("Landline: %(value)s is not a telephone number (area code and number, such as "
                            "027-87654321 ext. 123).", value=text[:40]), "landline")
    try:
        is_mobile = normalise_mobile(text) != ""
    except MemberError:
        is_mobile = False
    if is_mobile:
        raise MemberError(_("Landline: %(value)s is a mobile number; put it under Mobile.", value=text), "landline")
    return text


def enterprise_or_404(enterprise_id: int) -> Enterprise:
    """A member enterprise of this tenant that the current user may see; 404 otherwise."""
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None or not g.access.may_see_enterprise(enterprise.id):
        abort(404)
    return enterprise


def by_credit_code(code: str) -> Enterprise | None:
    return db.session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == code))


def save_enterprise(enterprise: Enterprise | None, data: dict, liaison: dict | None = None) -> Enterprise:
    """Create or update from a dict of PROFILE_FIELDS (+ status), checking the credit code."""
    data = {**data, "credit_code": normalise_credit_code(data["credit_code"])}
    other = by_credit_code(data["credit_code"])
    if other is not None and other is not enterprise:
        raise MemberError(_("This credit code is already in the roster (%(name)s).", name=other.name), "credit_code")
    if not (data.get("name") or "").strip():
        raise MemberError(_("The name is required."), "name")
    if enterprise is None:
        enterprise = Enterprise(status="liaison")
    apply_profile(enterprise, data, liaison)
    db.session.flush()
    return enterprise


def profile_values(data: dict) -> dict:
    """The profile fields present in `data`, as they are stored."""
    out = {}
    for field in PROFILE_FIELDS:
        if field in data:
            value = data[field].strip() if isinstance(data[field], str) else data[field]
            out[field] = bool(value) if field in FLAGS or field == "adopted_standard" else value
    return out


def apply_profile(enterprise: Enterprise | None, data: dict, liaison: dict | None = None) -> bool:
    """Set validated values; returns whether anything changed. A new enterprise is added."""
    created = enterprise is None or enterprise.id is None
    if enterprise is None:
        enterprise = Enterprise(status="liaison")
        db.session.add(enterprise)
    changed = False
    for field, value in profile_values(data).items():
        if getattr(enterprise, field) != value:
            setattr(enterprise, field, value)
            changed = True
    status = data.get("status")
    if status and status != enterprise.status:
        change_status(enterprise, status, data.get("withdrawn_on"), data.get("withdrawal_reason", ""))
        changed = True
    elif status == "withdrawn":
        reason = (data.get("withdrawal_reason") or "").strip()
        if reason and reason != enterprise.withdrawal_reason:
            enterprise.withdrawal_reason = reason
            changed = True
        if data.get("withdrawn_on") and data["withdrawn_on"] != enterprise.withdrawn_on:
            enterprise.withdrawn_on = data["withdrawn_on"]
            changed = True
    if enterprise.id is None:
        db.session.add(enterprise)
    if liaison:
        before = enterprise.current_liaison
        if created and not liaison.get("on") and enterprise.joined_on and enterprise.joined_on <= date.today():
            # The first liaison, named with the membership itself (TJ-1: a member names one on
            # joining): in office since the member joined, unless a date is given.
            liaison = {**liaison, "on": enterprise.joined_on}
        snapshot = before and (before.name, before.position, before.mobile, before.landline, before.email)
        person = set_liaison(enterprise, **liaison)
        changed = changed or person is not before or snapshot != (
            person.name, person.position, person.mobile, person.landline, person.email)
    return changed


def change_status(enterprise: Enterprise, status: str, on: date | None = None, reason: str = "") -> None:
    for field, value in status_values(status, on, reason, enterprise.status).items():
        setattr(enterprise, field, value)


def status_values(status: str, on: date | None = None, reason: str = "", current: str | None = None) -> dict:
    """The fields a change from status `current` to `status` sets."""
    if status == "demonstration":
        # Typed by staff, a reviewer could not trust it: it is a bureau's recognition.
        raise MemberError(_("A demonstration unit is recognised by a bureau, not set by hand: record the "
                            "recognition under Demonstration units."), "status")
    if status not in STATUSES:
        raise MemberError(_("Unknown status."), "status")
    if status == "withdrawn":
        if not (reason or "").strip():
            raise MemberError(_("Give the reason for the withdrawal."), "reason")
        return {"withdrawn_on": on or date.today(), "withdrawal_reason": reason.strip(), "status": status}
    if current == "withdrawn":
        return {"withdrawn_on": None, "withdrawal_reason": "", "status": status}
    return {"status": status}


def set_liaison(enterprise: Enterprise, name: str, position: str = "", mobile: str = "", email: str = "",
                on: date | None = None, landline: str | None = None) -> LiaisonPerson | None:
    """Name a liaison. Another person closes the current one on `on` (history kept); the same
    person only gets their contact details updated. The callers check the numbers first
    (normalise_mobile, normalise_landline) so that each reports them its own way. A landline of
    None leaves the one on record: callers that know no landline (the roster import, older API
    clients) do not erase it."""
    name = (name or "").strip()
    if not name:
        return None
    on = on or date.today()
    current = enterprise.current_liaison if enterprise.id else None
    if current is not None and current.erased_at is not None:
        # An erased person is never filled in again (tenants/members/privacy.py): their row
        # unchanged (a re-imported export), or someone else from `on`.
        if name == current.name and not any((position, mobile, email, landline)):
            return current
        if name == current.name:
            raise MemberError(_("The liaison person was erased on request: name the new liaison person."), "name")
    elif current is not None and current.name == name:
        current.position, current.mobile, current.email = position or "", mobile or "", email or ""
        if landline is not None:
            current.landline = landline
        return current
    if current is not None:
        if on < current.started_on:
            raise MemberError(_("The new liaison person cannot start before the current one (%(date)s).",
                                date=current.started_on.isoformat()), "started_on")
        current.ended_on = on
    person = LiaisonPerson(name=name, position=position or "", mobile=mobile or "", landline=landline or "",
                           email=email or "", started_on=on)
    enterprise.liaisons.insert(0, person)
    return person


def end_liaison(enterprise: Enterprise, on: date | None = None) -> None:
    current = enterprise.current_liaison
    if current is not None:
        current.ended_on = on or date.today()


def checklist(enterprise: Enterprise) -> dict[str, ChecklistItem]:
    """Every checklist item of the enterprise, unsaved defaults for those never touched."""
    rows = {c.code: c for c in db.session.scalars(
        sa.select(ChecklistItem).where(ChecklistItem.enterprise_id == enterprise.id))}
    return {code: rows.get(code) or ChecklistItem(code=code, state="not_started", note="") for code in ITEMS}


def save_checklist(enterprise: Enterprise, values: dict[str, tuple[str, str]]) -> int:
    """values: code → (state, note). Returns how many items changed."""
    current = checklist(enterprise)
    changed = 0
    for code, (state, note) in values.items():
        if code not in current or state not in STATES:
            raise MemberError(_("Unknown checklist item or state."))
        item = current[code]
        note = (note or "").strip()[:2000]
        if item.state != state or (item.note or "") != note:
            item.state, item.note, item.enterprise_id = state, note, enterprise.id
            db.session.add(item)
            changed += 1
    return changed


def survey(enterprise: Enterprise, year: int) -> SurveyYear:
    row = db.session.scalar(sa.select(SurveyYear).where(SurveyYear.enterprise_id == enterprise.id,
                                                        SurveyYear.year == year))
    return row or SurveyYear(enterprise_id=enterprise.id, enterprise=enterprise, year=year,
                             employees=enterprise.employees, **{f: 0 for f in SURVEY_FIELDS if f != "employees"})


def save_survey(enterprise: Enterprise, year: int, counts: dict[str, int]) -> SurveyYear:
    """Set a year's figures. A zero headcount means "as on the profile": the rates then use the
    enterprise's employees. A count of people above the headcount is refused, never cut down."""
    row = survey(enterprise, year)
    for field in SURVEY_FIELDS:
        setattr(row, field, int(counts.get(field) or 0))
    check_survey(row)
    db.session.add(row)
    return row


def check_survey(row) -> None:
    """The rules of a year's figures (also of a questionnaire answer, tenants.surveys): no
    negative count, no count of people above the headcount. Raises MemberError."""
    for field in SURVEY_FIELDS:
        if (getattr(row, field) or 0) < 0:
            raise MemberError(_("%(field)s: counts cannot be negative.", field=SURVEY_LABELS[field]), field)
    headcount = row.headcount
    for field in SURVEY_PEOPLE:
        value = getattr(row, field)
        if value and not headcount:
            raise MemberError(_("%(field)s: enter the number of employees first (here or on the enterprise's "
                                "profile); the rates are computed from it.", field=SURVEY_LABELS[field]), field)
        if value > headcount:
            raise MemberError(_("%(field)s: %(n)d is more than the %(employees)d employees.",
                                field=SURVEY_LABELS[field], n=value, employees=headcount), field)


def surveys(enterprise: Enterprise) -> list[SurveyYear]:
    return list(db.session.scalars(sa.select(SurveyYear).where(SurveyYear.enterprise_id == enterprise.id)
                                   .order_by(SurveyYear.year.desc())))


def vulnerabilities(enterprise: Enterprise) -> list[Vulnerability]:
    return list(db.session.scalars(sa.select(Vulnerability).where(Vulnerability.enterprise_id == enterprise.id)
                                   .order_by(Vulnerability.status, Vulnerability.id)))


def vulnerability_or_404(enterprise: Enterprise, vulnerability_id: int) -> Vulnerability:
    row = db.session.scalar(sa.select(Vulnerability).where(Vulnerability.id == vulnerability_id,
                                                           Vulnerability.enterprise_id == enterprise.id))
    if row is None:
        abort(404)
    return row
