"""Member liaison enterprises and what they keep: liaison persons (with history), checklists,
yearly survey figures and the vulnerability list."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

# A demonstration unit is not a status: it holds a valid recognition (tenants.recognition).
STATUSES = ("liaison", "cultivating", "withdrawn")
FLAGS = ("high_tech", "specialised", "gazelle", "champion", "time_honoured")


class Enterprise(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18))
    industry: Mapped[str] = mapped_column(sa.String(120), default="")
    employees: Mapped[int] = mapped_column(default=0)
    high_tech: Mapped[bool] = mapped_column(default=False)
    specialised: Mapped[bool] = mapped_column(default=False)  # 专精特新
    gazelle: Mapped[bool] = mapped_column(default=False)  # 瞪羚
    champion: Mapped[bool] = mapped_column(default=False)  # 制造业单项冠军
    time_honoured: Mapped[bool] = mapped_column(default=False)  # 老字号
    joined_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="liaison")
    withdrawn_on: Mapped[date | None]
    withdrawal_reason: Mapped[str] = mapped_column(sa.Text, default="")
    adopted_standard: Mapped[bool] = mapped_column(default=False)
    adopted_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    liaisons: Mapped[list[LiaisonPerson]] = relationship(
        back_populates="enterprise", order_by="LiaisonPerson.started_on.desc(), LiaisonPerson.id.desc()")
    # The liaison in office (ended_on IS NULL); read-only, loaded with the roster in one query.
    current: Mapped[LiaisonPerson | None] = relationship(
        primaryjoin="and_(LiaisonPerson.enterprise_id == Enterprise.id, LiaisonPerson.ended_on.is_(None))",
        viewonly=True, uselist=False, lazy="select")
    # Five implementations + three defences in place; set by the roster query (with_expression).
    core_done: Mapped[int | None] = query_expression()

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "credit_code"),
        sa.Index("ix_enterprise_tenant_status", "tenant_id", "status"),
        sa.Index("ix_enterprise_tenant_name", "tenant_id", "name"),
        sa.CheckConstraint("status IN ('liaison', 'cultivating', 'withdrawn')", name="status"),
        sa.CheckConstraint("employees >= 0", name="employees"),
    )

    @property
    def audit_label(self) -> str:
        return self.name

    @property
    def current_liaison(self) -> LiaisonPerson | None:
        return next((p for p in self.liaisons if p.ended_on is None), None)

    @property
    def flags(self) -> list[str]:
        return [f for f in FLAGS if getattr(self, f)]


class LiaisonPerson(TenantScoped, db.Model):
    """联络员. A change closes the current row (ended_on) and opens a new one: history stays."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[str] = mapped_column(sa.String(120), default="")
    mobile: Mapped[str] = mapped_column(sa.String(32), default="")
    # A fixed line (区号-号码, extension): the mobile field holds mainland mobiles only.
    landline: Mapped[str] = mapped_column(sa.String(32), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    # Erased on the person's request (tenants/members/privacy.py): the row and its dates stay (the
    # figures are dated), who it was does not. Never undone.
    erased_at: Mapped[datetime | None]
    erased_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    enterprise: Mapped[Enterprise] = relationship(back_populates="liaisons")

    __table_args__ = (sa.Index("ix_liaison_person_tenant_enterprise", "tenant_id", "enterprise_id", "ended_on"),)

    @property
    def audit_label(self) -> str:
        return self.name


class ChecklistItem(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16), default="not_started")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "enterprise_id", "code"),
        # Covering: the items in place, member by member (the metrics' checklist counts).
        sa.Index("ix_checklist_item_tenant_state", "tenant_id", "state", "enterprise_id", "code"),
        sa.CheckConstraint("state IN ('not_started', 'in_progress', 'in_place')", name="state"),
    )

    @property
    def audit_label(self) -> str:
        return self.code


class MemberChecklist(TenantScoped, db.Model):
    """One member's checklist items in place, counted as the tenant figures count them — the
    protection rules, the five-and-three core items, the leak emergency plan — derived from the
    items and kept in the same transaction as them (checklist_summary.py). Only members with an
    item in place have a row. Never typed, never audited (the items it counts are)."""

    __tablename__ = "member_checklist"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    rules: Mapped[int]  # 1: the rules item is in place
    core: Mapped[int]  # how many of the core items are in place
    leak: Mapped[int]  # 1: the leak emergency plan is in place

    __table_args__ = (sa.UniqueConstraint("tenant_id", "enterprise_id"),)


class SurveyYear(TenantScoped, db.Model):
    """Yearly baseline survey (TJ-3, LC-2). Counts only: rates are computed, never typed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    year: Mapped[int]
    employees: Mapped[int] = mapped_column(default=0)
    secrets_identified: Mapped[int] = mapped_column(default=0)
    patents: Mapped[int] = mapped_column(default=0)
    confidentiality_signed: Mapped[int] = mapped_column(default=0)
    noncompete_signed: Mapped[int] = mapped_column(default=0)
    key_posts_tiered: Mapped[int] = mapped_column(default=0)
    incidents_suffered: Mapped[int] = mapped_column(default=0)  # last two years
    incidents_caused: Mapped[int] = mapped_column(default=0)
    # The questionnaire round (tenants.surveys) whose submitted answer last wrote these figures.
    survey_round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_round.id", ondelete="SET NULL"))

    enterprise: Mapped[Enterprise] = relationship()

    __table_args__ = (sa.UniqueConstraint("tenant_id", "enterprise_id", "year"),)

    @property
    def audit_label(self) -> str:
        return str(self.year)

    @property
    def survey_round_title(self) -> str:
        """The title of the questionnaire round these figures came from (one query: for one
        row's page, never a list)."""
        if not self.survey_round_id:
            return ""
        from tenants.surveys.models import SurveyRound

        return db.session.scalar(sa.select(SurveyRound.title).where(SurveyRound.id == self.survey_round_id)) or ""

    @property
    def headcount(self) -> int:
        """The year's own employee count, else the enterprise's (a survey that left it empty)."""
        if self.employees:
            return self.employees
        return self.enterprise.employees if self.enterprise is not None else 0

    def rate(self, signed: int) -> float | None:
        """signed ÷ headcount; None when there is no headcount, or when the profile's headcount
        has since fallen below what was signed: a rate above 100 % is no rate at all."""
        headcount = self.headcount
        return signed / headcount if headcount and signed <= headcount else None

    @property
    def confidentiality_rate(self) -> float | None:
        return self.rate(self.confidentiality_signed)

    @property
    def noncompete_rate(self) -> float | None:
        return self.rate(self.noncompete_signed)


SEVERITIES = ("low", "medium", "high")
VULNERABILITY_STATUSES = ("open", "mitigating", "closed")


class Vulnerability(TenantScoped, db.Model):
    """An entry of the 易受侵害清单."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(200))
    area: Mapped[str] = mapped_column(sa.String(120), default="")
    severity: Mapped[str] = mapped_column(sa.String(8), default="medium")
    measure: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="open")

    __table_args__ = (
        sa.Index("ix_vulnerability_tenant_enterprise", "tenant_id", "enterprise_id"),
        sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name="severity"),
        sa.CheckConstraint("status IN ('open', 'mitigating', 'closed')", name="status"),
    )

    @property
    def audit_label(self) -> str:
        return self.item
