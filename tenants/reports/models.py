"""Periodic reports of a base to its bureau and their history.

A report is drafted from the period's figures (tenants.metrics, live while a draft) and the
base's narrative sections; each submission freezes the whole report — sections, figures and the
period — into `snapshot`, kept version by version in `ReportVersion` (like an application).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

STATUSES = ("draft", "submitted", "returned", "accepted")
EDITABLE = ("draft", "returned")


class PeriodicReport(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # tenants.reports.kinds.ReportKind.key
    year: Mapped[int]
    period_start: Mapped[date]
    period_end: Mapped[date]
    due_on: Mapped[date | None]  # None where the seed names no date
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    version: Mapped[int] = mapped_column(default=0)  # submissions so far
    sections: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    snapshot: Mapped[dict | None] = mapped_column(sa.JSON)  # the latest submission, frozen
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    first_submitted_at: Mapped[datetime | None]  # "received on time" counts the first one
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    bureau_comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    overdue_notified_at: Mapped[datetime | None]  # the overdue notice went out (once)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[ReportEvent]] = relationship(back_populates="report", order_by="ReportEvent.id")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "kind", "year"),
        sa.Index("ix_periodic_report_tenant_status", "tenant_id", "status"),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'returned', 'accepted')", name="status"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.kind} {self.year}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    def overdue(self, today: date) -> bool:
        """Due date passed and nothing submitted (a returned report was submitted once: not overdue)."""
        return (self.due_on is not None and today > self.due_on and self.status == "draft"
                and self.first_submitted_at is None)


class ReportVersion(TenantScoped, db.Model):
    """Each submission's frozen report: what the bureau saw, version by version."""

    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("periodic_report.id", ondelete="CASCADE"))
    version: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "report_id", "version"),)


class ReportEvent(TenantScoped, db.Model):
    """One step of a report's history: who moved it, from what to what, with which comment."""

    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("periodic_report.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[PeriodicReport] = relationship(back_populates="events")
    user = relationship("User")

    __table_args__ = (sa.Index("ix_report_event_tenant_report", "tenant_id", "report_id"),)
