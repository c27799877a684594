"""Guidance stations (指导站), their staff, and the service ledger (服务台账) — LC-3, WH-2, CQ-2."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

OFFICES = ("independent", "shared")
EMPLOYMENT = ("full_time", "part_time")
CATEGORIES = ("consultation", "complaint", "publicity", "risk_monitoring", "guidance", "rights_assistance",
              "mediation", "other")
CASE_STATUSES = ("received", "referred", "mediated", "closed")
FOLLOW_UP = ("open", "done")
# Free text on the ledger stays short: it records that a service happened, never secret details.
SUMMARY_MAX = 500


class Station(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    opened_on: Mapped[date | None]
    office: Mapped[str] = mapped_column(sa.String(16), default="independent")
    opening_hours: Mapped[str] = mapped_column(sa.String(200), default="")
    services: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[list[StationStaff]] = relationship(back_populates="station", order_by="StationStaff.id")

    __table_args__ = (sa.CheckConstraint("office IN ('independent', 'shared')", name="office"),)

    @property
    def audit_label(self) -> str:
        return self.name

    @property
    def experienced_staff(self) -> int:
        return sum(1 for s in self.staff if s.experienced and s.active)


class StationStaff(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("station.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[str] = mapped_column(sa.String(120), default="")
    employment: Mapped[str] = mapped_column(sa.String(16), default="full_time")
    experienced: Mapped[bool] = mapped_column(default=False)  # protection experience (WH-2: ≥ 2)
    training: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    station: Mapped[Station] = relationship(back_populates="staff")

    __table_args__ = (
        sa.Index("ix_station_staff_tenant_station", "tenant_id", "station_id"),
        sa.CheckConstraint("employment IN ('full_time', 'part_time')", name="employment"),
    )

    @property
    def audit_label(self) -> str:
        return self.name


class ServiceLog(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    served_on: Mapped[date]
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("station.id"))
    category: Mapped[str] = mapped_column(sa.String(24))
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="SET NULL"))
    non_member: Mapped[str] = mapped_column(sa.String(200), default="")  # served someone outside the roster
    handled_by: Mapped[str] = mapped_column(sa.String(120), default="")
    summary: Mapped[str] = mapped_column(sa.String(SUMMARY_MAX), default="")
    outcome: Mapped[str] = mapped_column(sa.String(SUMMARY_MAX), default="")
    follow_up_due: Mapped[date | None]
    follow_up: Mapped[str] = mapped_column(sa.String(8), default="done")
    case_status: Mapped[str | None] = mapped_column(sa.String(16))  # complaints only
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    station: Mapped[Station] = relationship()
    enterprise = relationship("Enterprise")

    __table_args__ = (
        sa.Index("ix_service_log_tenant_served", "tenant_id", "served_on"),
        sa.Index("ix_service_log_tenant_enterprise", "tenant_id", "enterprise_id"),
        sa.Index("ix_service_log_tenant_follow_up", "tenant_id", "follow_up", "follow_up_due"),
        sa.CheckConstraint("category IN ('consultation', 'complaint', 'publicity', 'risk_monitoring', 'guidance', "
                           "'rights_assistance', 'mediation', 'other')", name="category"),
        sa.CheckConstraint("follow_up IN ('open', 'done')", name="follow_up"),
        sa.CheckConstraint("(category = 'complaint') = (case_status IS NOT NULL)", name="case_status"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.served_on} {self.category}"

    def overdue(self, today: date) -> bool:
        return self.follow_up == "open" and self.follow_up_due is not None and self.follow_up_due < today
