"""Questionnaire rounds (LC-2): a base sends the yearly survey (the TJ-3 indicators of
`SurveyYear`) to its active member enterprises; each answers in its own workspace; a submitted
answer is written into that enterprise's `SurveyYear` for the round's year.

A bureau may send one round to every active base of its jurisdiction: a `BureauSurveyRound`
(no tenant) and one `SurveyRound` in each tenant pointing to it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow
from tenants.members.services import SURVEY_FIELDS

TITLE_MAX = 200
NOTE_MAX = 2000
ANSWER_STATUSES = ("pending", "draft", "submitted")


class BureauSurveyRound(db.Model):
    """One round a bureau sent across its jurisdiction; each base holds its own copy."""

    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_id: Mapped[int] = mapped_column(sa.ForeignKey("bureau.id", ondelete="CASCADE"))
    year: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    open_until: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_bureau_survey_round_bureau_created", "bureau_id", "created_at"),)


class SurveyRound(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    open_until: Mapped[date]  # answers are taken up to and including this day
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]  # closed early by the base (or the bureau's round)
    reminded_on: Mapped[date | None]  # the last reminder to the non-responders (one a day at most)
    bureau_round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bureau_survey_round.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.Index("ix_survey_round_tenant_created", "tenant_id", "created_at"),
        sa.Index("ix_survey_round_tenant_bureau_round", "tenant_id", "bureau_round_id"),
    )

    @property
    def audit_label(self) -> str:
        return self.title

    def is_open(self, today: date | None = None) -> bool:
        return self.closed_at is None and (today or date.today()) <= self.open_until


class SurveyAnswer(TenantScoped, db.Model):
    """One enterprise's answer to one round: made (pending) when the round is sent, so the
    rows are also the list of who it was sent to. Counts as in SurveyYear."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_round.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    employees: Mapped[int] = mapped_column(default=0)
    secrets_identified: Mapped[int] = mapped_column(default=0)
    patents: Mapped[int] = mapped_column(default=0)
    confidentiality_signed: Mapped[int] = mapped_column(default=0)
    noncompete_signed: Mapped[int] = mapped_column(default=0)
    key_posts_tiered: Mapped[int] = mapped_column(default=0)
    incidents_suffered: Mapped[int] = mapped_column(default=0)
    incidents_caused: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    round: Mapped[SurveyRound] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "round_id", "enterprise_id"),
        sa.Index("ix_survey_answer_tenant_round_status", "tenant_id", "round_id", "status"),
        sa.Index("ix_survey_answer_tenant_enterprise", "tenant_id", "enterprise_id"),
        sa.CheckConstraint("status IN ('pending', 'draft', 'submitted')", name="status"),
    )

    @property
    def audit_label(self) -> str:
        return str(self.round_id)

    def counts(self) -> dict[str, int]:
        return {f: getattr(self, f) or 0 for f in SURVEY_FIELDS}
