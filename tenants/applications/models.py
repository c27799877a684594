"""The base's application for recognition and its review chain (TJ-6, WH-3, CQ-3, XC-2)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

STATUSES = ("draft", "submitted", "district_review", "returned", "recommended", "city_review", "public_notice",
            "recognised", "rejected", "revoked", "lapsed")
EDITABLE = ("draft", "returned")
SECTIONS = ("basic", "needs", "work_done", "cases", "next_steps")
NOTICE_DAYS = 15  # CQ-3: 15-day public notice


class Application(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    version: Mapped[int] = mapped_column(default=0)  # submissions so far
    sections: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    snapshot: Mapped[dict | None] = mapped_column(sa.JSON)  # frozen at submission
    pdf_path: Mapped[str] = mapped_column(sa.String(255), default="")
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    notice_start: Mapped[date | None]
    notice_end: Mapped[date | None]
    recognised_on: Mapped[date | None]
    certificate_no: Mapped[str] = mapped_column(sa.String(64), default="")
    # The recognising bureau and the term of the recognition (its re-review, CQ-3; XC-2 yearly).
    issued_by: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    valid_until: Mapped[date | None]
    rereview_due: Mapped[date | None]
    # The expert panel's own verdict (no pass mark in cq-park: the reviewers decide) and why.
    panel_passed: Mapped[bool | None]
    panel_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    final_score: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[ApplicationEvent]] = relationship(back_populates="application",
                                                          order_by="ApplicationEvent.id")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "scheme", "year"),
        sa.Index("ix_application_tenant_status", "tenant_id", "status"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.scheme} {self.year}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


class ApplicationVersion(TenantScoped, db.Model):
    """Each submission's frozen dossier: what the reviewers saw, version by version."""

    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    version: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    pdf_path: Mapped[str] = mapped_column(sa.String(255), default="")
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "application_id", "version"),)


class ApplicationEvent(TenantScoped, db.Model):
    """One step of the review chain: who moved it, from what to what, with which comments."""

    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # A step inside a stage (the city review's materials / data comparison / on-site check /
    # expert assessment, an objection received or resolved, a certificate issued, a renewal):
    # from_status == to_status then. Empty for a move between stages, but for a revocation,
    # where it names the grounds (tenants.recognition.models.REVOCATION_GROUNDS), and a lapse.
    step: Mapped[str] = mapped_column(sa.String(24), default="", server_default="")
    section_comments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="events")
    user = relationship("User")

    __table_args__ = (sa.Index("ix_application_event_tenant_application", "tenant_id", "application_id"),)


class ReviewScore(TenantScoped, db.Model):
    """City review: points per item from a reviewer, or from a named expert entered by one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(20))
    points: Mapped[float]
    scorer: Mapped[str] = mapped_column(sa.String(120))  # the reviewer's or expert's name
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    __table_args__ = (sa.UniqueConstraint("tenant_id", "application_id", "item", "scorer"),)


class Objection(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    received_on: Mapped[date]
    text: Mapped[str] = mapped_column(sa.Text)
    # An objection blocks recognition until it is resolved with a recorded outcome.
    outcome: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    resolved_on: Mapped[date | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
