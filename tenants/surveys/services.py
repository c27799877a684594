"""Sending a round, answering it, its results; the bureau's round across its bases.

The questions are the yearly survey figures (`SurveyYear`, TJ-3) and their rules are the
members' own (`tenants.members.services.check_survey`): nothing here defines an indicator."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _

from saas.auth.models import Membership, User
from saas.database import count_where
from saas.extensions import db
from saas.tenancy import Bureau, Tenant, cross_tenant_reads, current_tenant_id, tenant_scope, utcnow
from tenants.members.models import Enterprise, SurveyYear
from tenants.members.queries import active_on
from tenants.members.services import SURVEY_FIELDS, MemberError, check_survey, save_survey

from .models import BureauSurveyRound, SurveyAnswer, SurveyRound


class SurveyError(ValueError):
    """The message is for the user; `field` names the form field it is about, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- a base's rounds

def round_or_404(round_id: int) -> SurveyRound:
    row = db.session.scalar(sa.select(SurveyRound).where(SurveyRound.id == round_id))
    if row is None:
        abort(404)
    return row


def rounds():
    """Every round of the tenant, newest first, with how many it went to and how many answered
    (one statement for the page, whatever the number of rounds or answers)."""
    sent = sa.func.count(SurveyAnswer.id)
    answered = count_where(SurveyAnswer.status == "submitted")
    return (sa.select(SurveyRound, sent.label("sent"), answered.label("answered"))
            .outerjoin(SurveyAnswer, sa.and_(SurveyAnswer.tenant_id == SurveyRound.tenant_id,
                                             SurveyAnswer.round_id == SurveyRound.id))
            .group_by(SurveyRound.id)
            .order_by(SurveyRound.created_at.desc(), SurveyRound.id.desc()))


def send(data: dict, user_id: int | None, bureau_round_id: int | None = None, today: date | None = None
         ) -> SurveyRound:
    """A new round to every member enterprise active today, in the tenant in scope: the round
    and one pending answer per enterprise (one INSERT … SELECT, whatever the number)."""
    today = today or date.today()
    if data["open_until"] < today:
        raise SurveyError(_("The closing date cannot be in the past."), "open_until")
    row = SurveyRound(year=data["year"], title=data["title"], note=data.get("note") or "",
                      open_until=data["open_until"], created_by_id=user_id, bureau_round_id=bureau_round_id)
    db.session.add(row)
    db.session.flush()
    tenant_id = current_tenant_id()
    members = (sa.select(sa.literal(tenant_id), sa.literal(row.id), Enterprise.id, sa.literal("pending"))
               .where(Enterprise.tenant_id == tenant_id, active_on(today)))
    db.session.execute(sa.insert(SurveyAnswer.__table__).from_select(["tenant_id", "round_id", "enterprise_id", "status"],
                                                           members))
    return row


def close(row: SurveyRound) -> bool:
    """Close it now (compare-and-set: a second request closes nothing). Drafts stay drafts."""
    return bool(db.session.execute(
        sa.update(SurveyRound).where(SurveyRound.tenant_id == row.tenant_id, SurveyRound.id == row.id,
                                     SurveyRound.closed_at.is_(None))
        .values(closed_at=utcnow()).execution_options(synchronize_session="fetch")).rowcount)


def progress(round_id: int) -> tuple[int, int]:
    """(sent, answered) of one round."""
    sent, answered = db.session.execute(
        sa.select(sa.func.count(SurveyAnswer.id),
                  count_where(SurveyAnswer.status == "submitted"))
        .where(SurveyAnswer.round_id == round_id)).one()
    return int(sent), int(answered)


def totals(round_id: int) -> dict[str, int]:
    """Each indicator summed over the submitted answers, in SQL (one statement)."""
    row = db.session.execute(
        sa.select(*[sa.func.coalesce(sa.func.sum(getattr(SurveyAnswer, f)), 0).label(f) for f in SURVEY_FIELDS])
        .where(SurveyAnswer.round_id == round_id, SurveyAnswer.status == "submitted")).one()
    return {f: int(getattr(row, f)) for f in SURVEY_FIELDS}


def non_responders(round_id: int, q: str = ""):
    """The enterprises that have not submitted, by name (a select for the pager)."""
    select = (sa.select(SurveyAnswer.id, SurveyAnswer.status, SurveyAnswer.updated_at, Enterprise.id.label("enterprise_id"),
                        Enterprise.name)
              .join(Enterprise, sa.and_(Enterprise.tenant_id == SurveyAnswer.tenant_id,
                                        Enterprise.id == SurveyAnswer.enterprise_id))
              .where(SurveyAnswer.round_id == round_id, SurveyAnswer.status != "submitted")
              .order_by(Enterprise.name, Enterprise.id))
    if q:
        select = select.where(Enterprise.name.icontains(q, autoescape=True))
    return select


def responders(round_id: int):
    """The submitted answers with their enterprise's name (a select for the pager)."""
    return (sa.select(SurveyAnswer, Enterprise.name)
            .join(Enterprise, sa.and_(Enterprise.tenant_id == SurveyAnswer.tenant_id,
                                      Enterprise.id == SurveyAnswer.enterprise_id))
            .where(SurveyAnswer.round_id == round_id, SurveyAnswer.status == "submitted")
            .order_by(SurveyAnswer.submitted_at.desc(), SurveyAnswer.id.desc()))


def users_of_non_responders(round_id: int) -> list[User]:
    """The enterprise users of the member enterprises that have not submitted (one statement)."""
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .join(SurveyAnswer, sa.and_(SurveyAnswer.tenant_id == Membership.tenant_id,
                                    SurveyAnswer.enterprise_id == Membership.enterprise_id))
        .where(Membership.tenant_id == current_tenant_id(), Membership.role == "enterprise",
               SurveyAnswer.round_id == round_id, SurveyAnswer.status != "submitted")
        .distinct().order_by(User.id)))


def remind(row: SurveyRound, today: date | None = None) -> int | None:
    """Notify the users of the enterprises that have not answered; at most once a day per round
    (compare-and-set on reminded_on). Returns how many users were told, None if already today."""
    from saas.links import public_url
    from saas.notifications import notify

    today = today or date.today()
    moved = db.session.execute(
        sa.update(SurveyRound).where(SurveyRound.tenant_id == row.tenant_id, SurveyRound.id == row.id,
                                     sa.or_(SurveyRound.reminded_on.is_(None), SurveyRound.reminded_on < today))
        .values(reminded_on=today).execution_options(synchronize_session="fetch")).rowcount
    if not moved:
        return None
    users = users_of_non_responders(row.id)
    notify(users, _("Reminder: please answer the questionnaire \"%(title)s\" by %(date)s.",
                    title=row.title, date=row.open_until.isoformat()),
           public_url("surveys.index"), kind="survey")
    return len(users)


# ---------------------------------------------------------------- an enterprise's answer

def answers_of(enterprise_id: int):
    """The rounds sent to this enterprise, newest first (a select for the pager)."""
    return (sa.select(SurveyAnswer, SurveyRound)
            .join(SurveyRound, sa.and_(SurveyRound.tenant_id == SurveyAnswer.tenant_id,
                                       SurveyRound.id == SurveyAnswer.round_id))
            .where(SurveyAnswer.enterprise_id == enterprise_id)
            .order_by(SurveyRound.created_at.desc(), SurveyRound.id.desc()))


def open_for(enterprise_id: int, today: date | None = None) -> list[tuple[SurveyAnswer, SurveyRound]]:
    """The open rounds this enterprise has not submitted yet (its home page)."""
    today = today or date.today()
    return list(db.session.execute(
        answers_of(enterprise_id).where(SurveyAnswer.status != "submitted", SurveyRound.closed_at.is_(None),
                                        SurveyRound.open_until >= today)).tuples())


def answer_or_404(answer_id: int, enterprise_id: int | None) -> SurveyAnswer:
    """This enterprise's own answer; any other answer (another enterprise's, another tenant's)
    is 404."""
    answer = db.session.scalar(sa.select(SurveyAnswer).where(SurveyAnswer.id == answer_id,
                                                             SurveyAnswer.enterprise_id == enterprise_id))
    if answer is None or enterprise_id is None:
        abort(404)
    return answer


def initial(answer: SurveyAnswer, enterprise: Enterprise) -> dict[str, int]:
    """What the form starts from: the saved draft, else the figures already kept for the
    round's year (so nothing is typed twice), else the profile's headcount."""
    if answer.status != "pending":
        return answer.counts()
    from tenants.members.services import survey

    row = survey(enterprise, answer.round.year)
    return {f: getattr(row, f) or 0 for f in SURVEY_FIELDS}


def _check(enterprise: Enterprise, counts: dict[str, int]) -> None:
    """The members' rules for a year's figures, on the answer (raises MemberError)."""
    check_survey(SurveyYear(enterprise_id=enterprise.id, enterprise=enterprise,
                            **{f: int(counts.get(f) or 0) for f in SURVEY_FIELDS}))


def _refuse_closed(answer: SurveyAnswer, today: date) -> None:
    if answer.status == "submitted":
        raise SurveyError(_("This questionnaire has already been submitted; it can no longer be changed."))
    if not answer.round.is_open(today):
        raise SurveyError(_("This questionnaire closed on %(date)s: answers are no longer taken.",
                            date=(answer.round.closed_at.date() if answer.round.closed_at
                                  else answer.round.open_until).isoformat()))


def save_draft(answer: SurveyAnswer, enterprise: Enterprise, counts: dict[str, int],
               today: date | None = None) -> None:
    today = today or date.today()
    _refuse_closed(answer, today)
    _check(enterprise, counts)
    moved = db.session.execute(
        sa.update(SurveyAnswer).where(SurveyAnswer.tenant_id == answer.tenant_id, SurveyAnswer.id == answer.id,
                                      SurveyAnswer.status != "submitted")
        .values(status="draft", updated_at=utcnow(), **{f: int(counts.get(f) or 0) for f in SURVEY_FIELDS})
        .execution_options(synchronize_session="fetch")).rowcount
    if not moved:
        raise SurveyError(_("This questionnaire has already been submitted; it can no longer be changed."))


def submit(answer: SurveyAnswer, enterprise: Enterprise, counts: dict[str, int], user_id: int,
           today: date | None = None) -> SurveyYear:
    """Final: the answer is submitted (compare-and-set, so a double submit does nothing twice)
    and written, in the same transaction, into the enterprise's survey figures for the round's
    year, marked as coming from this round. Raises SurveyError / MemberError; the caller rolls
    back on either."""
    today = today or date.today()
    _refuse_closed(answer, today)
    _check(enterprise, counts)
    now = utcnow()
    values = {f: int(counts.get(f) or 0) for f in SURVEY_FIELDS}
    moved = db.session.execute(
        sa.update(SurveyAnswer).where(SurveyAnswer.tenant_id == answer.tenant_id, SurveyAnswer.id == answer.id,
                                      SurveyAnswer.status != "submitted")
        .values(status="submitted", updated_at=now, submitted_at=now, submitted_by_id=user_id, **values)
        .execution_options(synchronize_session="fetch")).rowcount
    if not moved:
        raise SurveyError(_("This questionnaire has already been submitted; it can no longer be changed."))
    year = save_survey(enterprise, answer.round.year, values)
    year.survey_round_id = answer.round_id
    return year


# ---------------------------------------------------------------- a bureau across its bases

def bureau_tenants(bureau: Bureau) -> list[Tenant]:
    """The active bases of the bureau's jurisdiction, by name."""
    return list(db.session.scalars(sa.select(Tenant).where(Tenant.bureau_id.in_(bureau.jurisdiction_ids()),
                                                           Tenant.status == "active").order_by(Tenant.name)))


def send_across(bureau: Bureau, data: dict, user_id: int) -> BureauSurveyRound:
    """One round in each active base of the jurisdiction, in this one transaction, each linked
    to the bureau's round."""
    today = date.today()
    if data["open_until"] < today:
        raise SurveyError(_("The closing date cannot be in the past."), "open_until")
    tenants = bureau_tenants(bureau)
    if not tenants:
        raise SurveyError(_("No active base in this jurisdiction: there is nobody to send it to."))
    parent = BureauSurveyRound(bureau_id=bureau.id, year=data["year"], title=data["title"],
                               note=data.get("note") or "", open_until=data["open_until"], created_by_id=user_id)
    db.session.add(parent)
    db.session.flush()
    for tenant in tenants:
        with tenant_scope(tenant.id):
            send(data, user_id, bureau_round_id=parent.id, today=today)
            db.session.flush()
    return parent


def bureau_rounds(bureau: Bureau):
    return (sa.select(BureauSurveyRound).where(BureauSurveyRound.bureau_id == bureau.id)
            .order_by(BureauSurveyRound.created_at.desc(), BureauSurveyRound.id.desc()))


def bureau_round_or_404(bureau: Bureau, bureau_round_id: int) -> BureauSurveyRound:
    row = db.session.scalar(sa.select(BureauSurveyRound).where(BureauSurveyRound.id == bureau_round_id,
                                                               BureauSurveyRound.bureau_id == bureau.id))
    if row is None:
        abort(404)
    return row


def per_base(parent: BureauSurveyRound) -> list:
    """Per base: its round, sent, answered — one grouped statement across the bases' rounds."""
    answered = count_where(SurveyAnswer.status == "submitted")
    with cross_tenant_reads("bureau survey round: response rate of each base's copy of the bureau's round"):
        return list(db.session.execute(
            sa.select(Tenant.id.label("tenant_id"), Tenant.name, Tenant.slug, SurveyRound.id.label("round_id"),
                      SurveyRound.closed_at, sa.func.count(SurveyAnswer.id).label("sent"), answered.label("answered"))
            .join(Tenant, Tenant.id == SurveyRound.tenant_id)
            .outerjoin(SurveyAnswer, sa.and_(SurveyAnswer.tenant_id == SurveyRound.tenant_id,
                                             SurveyAnswer.round_id == SurveyRound.id))
            .where(SurveyRound.bureau_round_id == parent.id)
            .group_by(Tenant.id, Tenant.name, Tenant.slug, SurveyRound.id, SurveyRound.closed_at)
            .order_by(Tenant.name)))


def bureau_totals(parent: BureauSurveyRound) -> dict[str, int]:
    """Each indicator summed over the submitted answers of every base (one statement)."""
    with cross_tenant_reads("bureau survey round: indicator totals over the bases' answers"):
        row = db.session.execute(
            sa.select(*[sa.func.coalesce(sa.func.sum(getattr(SurveyAnswer, f)), 0).label(f) for f in SURVEY_FIELDS])
            .join(SurveyRound, sa.and_(SurveyRound.tenant_id == SurveyAnswer.tenant_id,
                                       SurveyRound.id == SurveyAnswer.round_id))
            .where(SurveyRound.bureau_round_id == parent.id, SurveyAnswer.status == "submitted")).one()
    return {f: int(getattr(row, f)) for f in SURVEY_FIELDS}


__all__ = ["MemberError", "SurveyError"]
