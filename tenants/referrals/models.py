"""A complaint of the station ledger referred to the base's bureau (LC-3), and its history.

The referral keeps its own copy of the facts the station chose to send (summary, enterprise
concerned, date received, what is asked of the bureau, the complainant's contact only when
ticked): later edits of the ledger entry do not change what the bureau received, and nothing
else of the ledger or the tenant is shown to the bureau through it. An empty field was not sent.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

STATUSES = ("received", "accepted", "investigated", "closed", "declined", "withdrawn")
OPEN = ("received", "accepted", "investigated")  # waiting for the bureau
ENDED = ("closed", "declined", "withdrawn")
# (from, to) → who makes the move: the bureau's reviewers or the station (withdrawal, while received).
TRANSITIONS = {("received", "accepted"): "bureau", ("accepted", "investigated"): "bureau",
               ("investigated", "closed"): "bureau", ("received", "declined"): "bureau",
               ("accepted", "declined"): "bureau", ("received", "withdrawn"): "station"}
TEXT_MAX = 2000
NAME_MAX = 200
CONTACT_MAX = 300


class Referral(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    service_log_id: Mapped[int] = mapped_column(sa.ForeignKey("service_log.id"))
    bureau_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bureau.id"))  # sent to (the tenant's then)
    status: Mapped[str] = mapped_column(sa.String(16), default="received")
    # The facts as sent (the snapshot): what the bureau sees.
    station_name: Mapped[str] = mapped_column(sa.String(NAME_MAX), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    enterprise_name: Mapped[str] = mapped_column(sa.String(NAME_MAX), default="")
    received_on: Mapped[date | None]
    request: Mapped[str] = mapped_column(sa.Text, default="")
    contact: Mapped[str] = mapped_column(sa.String(CONTACT_MAX), default="")
    # What the bureau returns: the outcome when closed, the reason when declined.
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    referred_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)  # the last move

    entry = relationship("ServiceLog")
    referred_by = relationship("User", foreign_keys=[referred_by_id])
    events: Mapped[list[ReferralEvent]] = relationship(back_populates="referral", order_by="ReferralEvent.id")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "service_log_id"),
        sa.Index("ix_referral_tenant_status", "tenant_id", "status"),
        sa.CheckConstraint("status IN ('received', 'accepted', 'investigated', 'closed', 'declined', 'withdrawn')",
                           name="status"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.received_on or self.referred_at:%Y-%m-%d} {self.enterprise_name or self.station_name}"[:200]


class ReferralEvent(TenantScoped, db.Model):
    """One move of a referral: from, to, by whom, when, with the note given."""

    __audited__ = False  # the referral's own history; the move itself is audited on Referral

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referral.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(sa.String(16), default="")  # "" for the referral itself
    to_status: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="events")
    user = relationship("User")

    __table_args__ = (
        sa.Index("ix_referral_event_tenant_referral", "tenant_id", "referral_id"),
        sa.Index("ix_referral_event_tenant_user", "tenant_id", "user_id"),
    )
