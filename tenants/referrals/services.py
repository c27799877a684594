"""Referring a complaint of the station ledger to the bureau, the bureau's moves, the outcome
flowing back to the ledger entry.

Every move is compare-and-set on the status the user saw: of two reviewers pressing the same
button, or a reviewer acting on a page that is out of date, only a move from the current status
changes anything. One referral per ledger entry: the entry's row is held before looking, and a
unique constraint backs it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from saas.auth.models import Membership, User
from saas.extensions import db
from saas.links import public_url
from saas.notifications import notify
from saas.tenancy import utcnow
from tenants.stations.models import SUMMARY_MAX, ServiceLog

from .models import CONTACT_MAX, NAME_MAX, OPEN, TEXT_MAX, TRANSITIONS, Referral, ReferralEvent


class ReferralError(ValueError):
    """A request the service refuses; the message is for the user."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def status_labels() -> dict:
    return {"received": _("Received by the bureau"), "accepted": _("Case accepted"), "investigated": _("Investigated"),
            "closed": _("Closed by the bureau"), "declined": _("Declined"), "withdrawn": _("Withdrawn by the station")}


def action_labels() -> dict:
    """The button that makes each move."""
    return {"accepted": _("Accept the case"), "investigated": _("Mark as investigated"),
            "closed": _("Close with the outcome"), "declined": _("Decline the case"), "withdrawn": _("Withdraw the referral")}


@dataclass(frozen=True)
class Facts:
    """What the station chose to send (an empty field is not sent)."""
    summary: str
    request: str
    enterprise_name: str = ""
    received_on: date | None = None
    contact: str = ""

    @classmethod
    def chosen(cls, data: dict) -> Facts:
        """From the form: a ticked box sends its field, an unticked one sends nothing."""
        summary, request = (data.get("summary") or "").strip(), (data.get("request") or "").strip()
        if not summary:
            raise ReferralError(_("Summarise the facts of the complaint."), "summary")
        if not request:
            raise ReferralError(_("Say what is asked of the bureau."), "request")
        enterprise = (data.get("enterprise_name") or "").strip() if data.get("send_enterprise") else ""
        if data.get("send_enterprise") and not enterprise:
            raise ReferralError(_("Name the enterprise concerned, or untick it."), "enterprise_name")
        received_on = data.get("received_on") if data.get("send_received_on") else None
        if data.get("send_received_on") and received_on is None:
            raise ReferralError(_("Give the date the complaint was received, or untick it."), "received_on")
        contact = (data.get("contact") or "").strip() if data.get("send_contact") else ""
        if data.get("send_contact") and not contact:
            raise ReferralError(_("Give the complainant's contact, or untick it."), "contact")
        return cls(summary=summary[:TEXT_MAX], request=request[:TEXT_MAX], enterprise_name=enterprise[:NAME_MAX],
                   received_on=received_on, contact=contact[:CONTACT_MAX])


def referral_or_404(referral_id: int) -> Referral:
    referral = db.session.scalar(sa.select(Referral).where(Referral.id == referral_id)
                                 .options(selectinload(Referral.events).joinedload(ReferralEvent.user)))
    if referral is None:
        abort(404)
    return referral


def of_entry(log_id: int) -> Referral | None:
    return db.session.scalar(sa.select(Referral).where(Referral.service_log_id == log_id)
                             .options(selectinload(Referral.events).joinedload(ReferralEvent.user)))


def listing(status: str = ""):
    select = sa.select(Referral).order_by(Referral.referred_at.desc(), Referral.id.desc())
    if status == "open":
        select = select.where(Referral.status.in_(OPEN))
    elif status:
        select = select.where(Referral.status == status)
    return select


def prefill(entry: ServiceLog) -> dict:
    """The form's first values, from the ledger entry: the station still chooses what leaves."""
    enterprise = entry.enterprise.name if entry.enterprise is not None else entry.non_member
    liaison = entry.enterprise.current_liaison if entry.enterprise is not None else None
    contact = " ".join(p for p in (liaison.name, liaison.mobile or liaison.landline) if p) if liaison else ""
    return {"summary": entry.summary, "enterprise_name": enterprise, "send_enterprise": bool(enterprise),
            "received_on": entry.served_on, "send_received_on": True, "contact": contact, "send_contact": False}


def check_referable(entry: ServiceLog) -> None:
    if entry.category != "complaint":
        raise ReferralError(_("Only an infringement complaint can be referred to the bureau."), "category")
    if g.tenant.bureau_id is None:
        raise ReferralError(_("This base has no bureau to refer to."), "bureau")


def refer(entry: ServiceLog, facts: Facts, user: User) -> tuple[Referral, bool]:
    """The referral of `entry` with these facts, and whether it was made now (False: the entry
    had one already — a double submit or a second tab makes no second referral)."""
    check_referable(entry)
    # Hold the entry's row before looking: an UPDATE that changes nothing holds it (PostgreSQL)
    # or the database (SQLite) until the commit, so of simultaneous referrals the first makes it
    # and the others find it.
    db.session.execute(sa.update(ServiceLog).where(ServiceLog.id == entry.id).values(category=ServiceLog.category)
                       .execution_options(synchronize_session=False))
    existing = of_entry(entry.id)
    if existing is not None:
        return existing, False
    referral = Referral(service_log_id=entry.id, bureau_id=g.tenant.bureau_id, status="received",
                        station_name=entry.station.name, summary=facts.summary, request=facts.request,
                        enterprise_name=facts.enterprise_name, received_on=facts.received_on, contact=facts.contact,
                        referred_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(referral)
            db.session.flush()
    except IntegrityError:  # made meanwhile by a request the hold did not serialise
        found = of_entry(entry.id)
        if found is None:
            raise
        return found, False
    db.session.add(ReferralEvent(referral_id=referral.id, from_status="", to_status="received", user_id=user.id))
    entry.case_status = "referred"
    url = public_url("referrals.show", tenant_slug=g.tenant.slug, referral_id=referral.id)
    notify(_bureau_reviewers(g.tenant.bureau_id),
           _("%(base)s referred a complaint to the bureau: %(summary)s", base=g.tenant.name,
             summary=facts.summary[:80]), url, kind="referral")
    return referral, True


def allowed_moves(referral: Referral, side: str) -> list[str]:
    """The statuses `side` ("bureau" or "station") may move the referral to now."""
    return [new for (old, new), by in TRANSITIONS.items() if old == referral.status and by == side]


def move(referral: Referral, expected: str, to: str, note: str, user: User, side: str) -> None:
    """Move the referral from `expected` (the status the user saw) to `to`, with a note; closing
    needs the outcome, declining the reason. Refused when the move is not `side`'s or the
    referral has moved on meanwhile."""
    note = (note or "").strip()[:TEXT_MAX]
    if TRANSITIONS.get((expected, to)) != side:
        raise ReferralError(_("This step is not possible from here."), "to")
    if to == "closed" and not note:
        raise ReferralError(_("Record the outcome before closing the case."), "note")
    if to == "declined" and not note:
        raise ReferralError(_("Give the reason for declining the case."), "note")
    values = {"status": to, "changed_at": utcnow()}
    if to in ("closed", "declined"):
        values["outcome"] = note
    moved = db.session.execute(sa.update(Referral).where(Referral.id == referral.id, Referral.status == expected)
                               .values(**values).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.expire(referral)
        raise ReferralError(_("This referral has moved on meanwhile (now: %(status)s); nothing was changed.",
                              status=status_labels().get(referral.status, referral.status)), "status")
    for key, value in values.items():
        setattr(referral, key, value)
    db.session.add(ReferralEvent(referral_id=referral.id, from_status=expected, to_status=to, note=note,
                                 user_id=user.id))
    _flow_back(referral, to, note)
    url = public_url("referrals.show", tenant_slug=g.tenant.slug, referral_id=referral.id)
    if side == "bureau":
        notify(_station_users(), _("Complaint referred to the bureau: %(status)s. %(summary)s",
                                   status=status_labels()[to], summary=referral.summary[:80]), url, kind="referral")
    else:
        notify(_bureau_reviewers(referral.bureau_id),
               _("%(base)s withdrew a referred complaint: %(summary)s", base=g.tenant.name,
                 summary=referral.summary[:80]), url, kind="referral")


def _flow_back(referral: Referral, to: str, note: str) -> None:
    """The ledger entry follows: closed with the bureau's outcome (its follow-up closed too);
    back to "received" when the station withdraws it or the bureau declines it."""
    entry = db.session.get(ServiceLog, referral.service_log_id)
    if entry is None or entry.category != "complaint":
        return
    if to == "closed":
        entry.case_status = "closed"
        entry.outcome = note[:SUMMARY_MAX]
        if entry.follow_up == "open":
            entry.follow_up = "done"
    elif to in ("declined", "withdrawn") and entry.case_status == "referred":
        entry.case_status = "received"


def _station_users() -> list[User]:
    """The base's admins and staff: who keeps the station ledger."""
    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id)
                                   .where(Membership.role.in_(("admin", "staff")), User.active.is_(True))
                                   .order_by(User.id)))


def _bureau_reviewers(bureau_id: int | None) -> list[User]:
    if bureau_id is None:
        return []
    return list(db.session.scalars(sa.select(User).where(User.bureau_id == bureau_id, User.bureau_role == "reviewer",
                                                         User.active.is_(True)).order_by(User.id)))
