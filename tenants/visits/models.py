"""Bureau instructors' assignments and guidance visits (指导 / 走访) — CQ-1, CQ-2 items 10–13, TJ-5."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

MODES = ("on_site", "remote")
TOPICS = ("organisation", "rules", "measures", "training", "risk_assessment", "rights_protection", "other")
STATUSES = ("open", "rectified", "closed")
VISITS_PER_YEAR = 2  # CQ-1: instructor guidance at least twice a year


class InstructorEnterprise(TenantScoped, db.Model):
    """An instructor (assigned to the tenant by an `instructor` membership) given particular members."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))

    __table_args__ = (sa.UniqueConstraint("tenant_id", "user_id", "enterprise_id"),)


class VisitInstructor(TenantScoped, db.Model):
    """Who made a visit (one or more instructors)."""

    __audited__ = False  # recorded with the visit itself

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("guidance_visit.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "visit_id", "user_id"),
        sa.Index("ix_visit_instructor_tenant_user", "tenant_id", "user_id"),
    )


class GuidanceVisit(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    visited_on: Mapped[date]
    mode: Mapped[str] = mapped_column(sa.String(16), default="on_site")
    topics: Mapped[list] = mapped_column(sa.JSON, default=list)
    findings: Mapped[str] = mapped_column(sa.Text, default="")
    recommendations: Mapped[str] = mapped_column(sa.Text, default="")
    follow_up_due: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    rectification: Mapped[str] = mapped_column(sa.Text, default="")  # the enterprise's answer
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    instructors = relationship("User", secondary="visit_instructor", order_by="User.name", viewonly=True)
    enterprise = relationship("Enterprise")

    __table_args__ = (
        sa.Index("ix_guidance_visit_tenant_visited", "tenant_id", "visited_on", "enterprise_id"),
        sa.Index("ix_guidance_visit_tenant_open", "tenant_id", "status", "follow_up_due"),  # overdue follow-ups
        sa.Index("ix_guidance_visit_tenant_enterprise", "tenant_id", "enterprise_id", "visited_on"),
        sa.CheckConstraint("mode IN ('on_site', 'remote')", name="mode"),
        sa.CheckConstraint("status IN ('open', 'rectified', 'closed')", name="status"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.visited_on}"

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.follow_up_due is not None and self.follow_up_due < today



class MemberVisitYear(TenantScoped, db.Model):
    """One member's guidance visits of one calendar year, counted — derived from the visits and
    kept in the same transaction as them (summary.py). Only years with a visit have a row. Never
    typed, never audited (the visits it counts are)."""

    __tablename__ = "member_visit_year"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    year: Mapped[int]
    visits: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("tenant_id", "year", "enterprise_id"),)


class ProtectionStaff(TenantScoped, db.Model):
    """专兼职人员台账: key members' protection staff (CQ-2 items 10–13)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[str] = mapped_column(sa.String(120), default="")
    employment: Mapped[str] = mapped_column(sa.String(16), default="part_time")
    trained: Mapped[bool] = mapped_column(default=False)
    mobile: Mapped[str] = mapped_column(sa.String(32), default="")

    __table_args__ = (sa.Index("ix_protection_staff_tenant_enterprise", "tenant_id", "enterprise_id"),)

    @property
    def audit_label(self) -> str:
        return self.name


class TeamActivity(TenantScoped, db.Model):
    """Instructor-team training sessions and publicity materials produced (with files)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # training | material
    title: Mapped[str] = mapped_column(sa.String(200))
    held_on: Mapped[date]
    hours: Mapped[float | None]
    participants: Mapped[int | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (sa.CheckConstraint("kind IN ('training', 'material')", name="kind"),)

    @property
    def audit_label(self) -> str:
        return self.title
