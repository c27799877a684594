"""Liaison persons' personal data (PIPL): who sees their contact details, masking, the export of
one person's data and its erasure on request.

Mobiles, landlines and e-mail addresses of liaison persons are shown in full only to the roles
that contact them — the tenant's admins and staff (`members.contacts`) and instructors for the
enterprises they are assigned to (`members.contacts_assigned`, tenants/visits InstructorEnterprise)
— and masked (138****0000, a***@example.com) everywhere else: pages, dossier, API, exports. Every
view and export asks `can_see_contacts(enterprise_id)`; who holds which right stays in
saas/auth/permissions.py.

Erasure keeps that a liaison existed (the row, its enterprise and dates: the dated liaison
figures do not move) but not who: the name becomes ERASED_NAME, the details are blanked, in the
row, in the audit log's stored values of that row and in the copies made of it (a referral's
contact, a submitted application's member list). It cannot be undone.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from saas.audit import AuditEvent, record, redact, user_names
from saas.auth.permissions import can
from saas.extensions import db
from saas.tenancy import current_tenant_id, utcnow

from .models import Enterprise, LiaisonPerson

ERASED_NAME = "已删除"
CONTACT_FIELDS = ("mobile", "landline", "email")
PERSON_FIELDS = ("name", "position", *CONTACT_FIELDS)


class PrivacyError(Exception):
    pass


# --- Who sees what -------------------------------------------------------------------------------

def _user_id() -> int | None:
    user = g.get("api_user")
    if user is not None:
        return user.id
    return current_user.id if current_user and current_user.is_authenticated else None


def _assigned() -> frozenset[int]:
    """The enterprises the current instructor is assigned to: one query per request."""
    from tenants.visits.models import InstructorEnterprise

    tenant = g.get("tenant")
    key = (current_tenant_id(), _user_id(), getattr(tenant, "data_version", None))
    cached = g.get("_contact_enterprises")
    if cached is None or cached[0] != key:
        ids = frozenset(db.session.scalars(sa.select(InstructorEnterprise.enterprise_id)
                                           .where(InstructorEnterprise.user_id == key[1]))) if key[1] else frozenset()
        cached = (key, ids)
        g._contact_enterprises = cached
    return cached[1]


def may_see_any_contacts() -> bool:
    """Whether the current role may see some liaison's contact details in full (and so be
    offered an export with them)."""
    return can("members.contacts") or can("members.contacts_assigned")


def can_see_contacts(enterprise_id: int | None) -> bool:
    """The one decision: may the current user see the contact details of this enterprise's
    liaison persons in full?"""
    if can("members.contacts"):
        return True
    return enterprise_id is not None and can("members.contacts_assigned") and enterprise_id in _assigned()


def contacts_key():
    """What a cached fragment showing contact details depends on, besides the tenant's data."""
    if can("members.contacts"):
        return "all"
    if can("members.contacts_assigned"):
        return ("assigned", tuple(sorted(_assigned())))
    return "masked"


# --- Masking -------------------------------------------------------------------------------------

def mask_number(text: str | None) -> str:
    """A phone number with all digits but the first three and the last four hidden:
    13800000000 → 138****0000, 027-87654321 → 027-****4321; a short one wholly."""
    text = text or ""
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if not digits:
        return "****" if text else ""
    if len(digits) < 8:
        return "****"
    hidden = set(digits[3:-4])
    masked = "".join("*" if i in hidden else c for i, c in enumerate(text))
    return re.sub(r"\*+", "****", masked)


mask_mobile = mask_landline = mask_number


def mask_email(text: str | None) -> str:
    """alice@example.com → a***@example.com."""
    text = text or ""
    if not text:
        return ""
    local, at, domain = text.partition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


MASKS = {"mobile": mask_mobile, "landline": mask_landline, "email": mask_email}


def shown(value: str | None, kind: str, enterprise_id: int | None) -> str:
    """`value` (a liaison's mobile, landline or email) as the current user may see it."""
    return (value or "") if can_see_contacts(enterprise_id) else MASKS[kind](value)


def contacts(person: LiaisonPerson | None, full: bool | None = None) -> dict[str, str]:
    """The person's mobile, landline and e-mail as the current user may see them (or, with
    `full` given, in full or masked as told)."""
    if person is None:
        return {k: "" for k in CONTACT_FIELDS}
    full = can_see_contacts(person.enterprise_id) if full is None else full
    return {k: (getattr(person, k) or "") if full else MASKS[k](getattr(person, k)) for k in CONTACT_FIELDS}


def record_export(what: str, with_contacts: bool, count: int) -> None:
    """An export that carried liaison contact details: who, when, what (the audit log)."""
    if with_contacts:
        record("export", "Roster", 0, what, {"contacts": [None, True], "rows": [None, count]})


# --- One person's data: export and erasure --------------------------------------------------------

def person_or_404(enterprise_id: int, person_id: int) -> LiaisonPerson:
    person = db.session.get(LiaisonPerson, person_id)  # tenant-scoped: another tenant's is None
    if person is None or person.enterprise_id != enterprise_id:
        from flask import abort

        abort(404)
    return person


def person_rows(person: LiaisonPerson) -> list[LiaisonPerson]:
    """Every row of this tenant about the same person: the same name at the same enterprise
    (a later term), or with the same mobile or e-mail (liaison of another member too)."""
    if person.erased_at is not None:
        return [person]
    same = [LiaisonPerson.enterprise_id == person.enterprise_id]
    if person.mobile:
        same.append(LiaisonPerson.mobile == person.mobile)
    if person.email:
        same.append(LiaisonPerson.email == person.email)
    return list(db.session.scalars(sa.select(LiaisonPerson).where(
        LiaisonPerson.name == person.name, LiaisonPerson.erased_at.is_(None), sa.or_(*same))
        .order_by(LiaisonPerson.started_on, LiaisonPerson.id)))


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


def person_export(person: LiaisonPerson) -> dict:
    """Everything stored about the person: their liaison rows (with the enterprise), the
    history of each (the audit log's events) and the referrals that name them. Recorded."""
    rows = person_rows(person)
    ids = [r.id for r in rows]
    enterprises = {e.id: e for e in db.session.scalars(
        sa.select(Enterprise).where(Enterprise.id.in_({r.enterprise_id for r in rows})))}
    events = list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "LiaisonPerson", AuditEvent.object_id.in_(ids)).order_by(AuditEvent.id)))
    names = user_names(events)
    data = {
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "person": {k: getattr(person, k) for k in PERSON_FIELDS},
        "liaison_rows": [{
            "id": r.id, "enterprise": {"id": r.enterprise_id, "name": enterprises[r.enterprise_id].name,
                                       "credit_code": enterprises[r.enterprise_id].credit_code},
            **{k: getattr(r, k) for k in PERSON_FIELDS},
            "started_on": _iso(r.started_on), "ended_on": _iso(r.ended_on),
            "erased_at": _iso(r.erased_at)} for r in rows],
        "history": [{"liaison_row": e.object_id, "at": e.created_at.isoformat(timespec="seconds"),
                     "action": e.action, "by": names.get(e.user_id, ""), "changes": e.changes} for e in events],
        "referrals": [{"id": r.id, "contact": r.contact} for r in _referrals(rows)],
    }
    record("export", "LiaisonPerson", person.id, "", {"personal_data": [None, True]})
    return data


def _strings(rows: list[LiaisonPerson]) -> list[str]:
    """What identifies the person in free text, longest first."""
    found = {getattr(r, k) for r in rows for k in ("name", *CONTACT_FIELDS)}
    return sorted((s for s in found if s and s != ERASED_NAME), key=len, reverse=True)


def _referrals(rows: list[LiaisonPerson]):
    """Referrals of these enterprises whose contact names the person (prefilled from the liaison)."""
    try:
        from tenants.referrals.models import Referral
        from tenants.stations.models import ServiceLog
    except ImportError:  # pragma: no cover
        return []
    strings = _strings(rows)
    if not strings:
        return []
    enterprise_ids = {r.enterprise_id for r in rows}
    referrals = db.session.scalars(sa.select(Referral).join(ServiceLog, Referral.service_log_id == ServiceLog.id)
                                   .where(ServiceLog.enterprise_id.in_(enterprise_ids), Referral.contact != ""))
    return [r for r in referrals if any(s in r.contact for s in strings)]


def _scrub(text: str, strings: list[str]) -> str:
    for s in strings:
        text = text.replace(s, ERASED_NAME if not any(c.isdigit() for c in s) and "@" not in s else "")
    return " ".join(text.split())


def erase(person: LiaisonPerson) -> list[LiaisonPerson]:
    """Erase the person (every row of theirs) on request: the rows, their dates and
    enterprises stay; name → ERASED_NAME, details blank, when and by whom. Also in the audit
    log's stored values and in the copies that named them. Compare-and-set: a second submit
    (or a racing one) erases nothing twice and raises PrivacyError."""
    if person.erased_at is not None:
        raise PrivacyError(_("This liaison person has already been erased."))
    rows = person_rows(person)
    ids = [r.id for r in rows]
    strings = _strings(rows)
    referrals = _referrals(rows)
    snapshots = _snapshots(rows)
    # A bulk UPDATE, not the objects: the audit hook would copy the old values into the log.
    done = db.session.execute(
        sa.update(LiaisonPerson).where(LiaisonPerson.id.in_(ids), LiaisonPerson.erased_at.is_(None))
        .values(name=ERASED_NAME, position="", mobile="", landline="", email="", erased_at=utcnow(),
                erased_by_id=_user_id()).execution_options(synchronize_session=False)).rowcount
    if done != len(ids):
        db.session.rollback()
        raise PrivacyError(_("This liaison person has already been erased."))
    redact("LiaisonPerson", ids, {"name": ERASED_NAME, "position": "", "mobile": "", "landline": "", "email": ""},
           label=ERASED_NAME)
    if referrals:
        from tenants.referrals.models import Referral

        for referral in referrals:
            clean = _scrub(referral.contact, strings)
            db.session.execute(sa.update(Referral).where(Referral.id == referral.id).values(contact=clean)
                               .execution_options(synchronize_session=False))
            db.session.expire(referral)
    for obj, snapshot in snapshots:
        db.session.execute(sa.update(type(obj)).where(type(obj).id == obj.id).values(snapshot=snapshot)
                           .execution_options(synchronize_session=False))
        db.session.expire(obj)
    _scrub_events(strings)
    for row in rows:
        db.session.expire(row)
    for row in rows:
        record("erase", "LiaisonPerson", row.id, ERASED_NAME, {"erased": [None, True]})
    return rows


def _snapshots(rows: list[LiaisonPerson]) -> list[tuple[object, dict]]:
    """Submitted applications' frozen member lists naming the person, with the name erased."""
    from tenants.applications.models import Application, ApplicationVersion

    names = {r.name for r in rows if r.name != ERASED_NAME}
    codes = set(db.session.scalars(sa.select(Enterprise.credit_code).where(
        Enterprise.id.in_({r.enterprise_id for r in rows}))))
    out = []
    for model in (Application, ApplicationVersion):
        for obj in db.session.scalars(sa.select(model).where(model.snapshot.is_not(None))):
            members = (obj.snapshot or {}).get("members") or []
            if not any(m.get("credit_code") in codes and m.get("liaison") in names for m in members):
                continue
            changed = [{**m, "liaison": ERASED_NAME, "mobile": ""} if m.get("credit_code") in codes
                       and m.get("liaison") in names else m for m in members]
            out.append((obj, {**obj.snapshot, "members": changed}))
    return out


COPIES = ("Referral", "Application", "ApplicationVersion")  # whose logged values may quote the person


def _scrubbed(value, strings: list[str]):
    if isinstance(value, str):
        return _scrub(value, strings) if any(s in value for s in strings) else value
    if isinstance(value, list):
        return [_scrubbed(v, strings) for v in value]
    if isinstance(value, dict):
        return {k: _scrubbed(v, strings) for k, v in value.items()}
    return value


def _scrub_events(strings: list[str]) -> None:
    """The audit log's stored values of the copies (a referral's contact, a snapshot)."""
    if not strings:
        return
    for event_row in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type.in_(COPIES))):
        changes = _scrubbed(event_row.changes or {}, strings)
        if changes != event_row.changes:
            event_row.changes = changes
