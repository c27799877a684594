"""Demonstration units recognised, not declared (CQ-1, WH-1, WH-2, XC-1, TJ stages).

A member enterprise (or a guidance station) becomes a demonstration unit through a
`UnitApplication`: it assesses itself against its scheme, the park pre-reviews and
recommends, a bureau reviewer recognises or refuses. A `Recognition` is one period of validity
with its certificate; it is never edited afterwards except to end it (revocation), so a past
period's count never changes: renewal after a re-review is a new Recognition, a lapse is the
validity running out, a revocation ends it on a date with its grounds. Recognitions made before
the platform are recorded by staff with their date, body and certificate, marked `recorded`,
and shown as such to reviewers.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

UNIT_KINDS = ("enterprise", "station")
# draft/returned: the unit edits; submitted: waits for the park; recommended: waits for the bureau.
APPLICATION_STATUSES = ("draft", "submitted", "returned", "recommended", "recognised", "refused")
UNIT_EDITABLE = ("draft", "returned")
SOURCES = ("platform", "recorded")
# CQ-3 / DOMAIN "Recognition lifecycle": grounds for revoking a recognition.
REVOCATION_GROUNDS = ("false_material", "major_violation", "protection_gaps", "no_longer_meets")
EVENT_KINDS = ("recognised", "recorded", "evaluated", "renewed", "revoked")


class Unit:
    """The unit a row is about: a member enterprise or a guidance station, exactly one."""

    kind: Mapped[str] = mapped_column(sa.String(16), default="enterprise")

    @declared_attr
    def enterprise_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))

    @declared_attr
    def station_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("station.id", ondelete="CASCADE"))

    @declared_attr
    def enterprise(cls):
        return relationship("Enterprise")

    @declared_attr
    def station(cls):
        return relationship("Station")

    @staticmethod
    def unit_constraint() -> sa.CheckConstraint:
        return sa.CheckConstraint("(kind = 'enterprise' AND enterprise_id IS NOT NULL AND station_id IS NULL) OR "
                                  "(kind = 'station' AND station_id IS NOT NULL AND enterprise_id IS NULL)",
                                  name="unit")

    @property
    def unit_name(self) -> str:
        unit = self.enterprise if self.kind == "enterprise" else self.station
        return unit.name if unit is not None else ""


class UnitApplication(Unit, TenantScoped, db.Model):
    """An enterprise's (or a station's) application to be recognised as a demonstration unit."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    # item code → {"claimed": bool, "note": str}: the unit's own self-assessment per item.
    self_assessment: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # item code → the park's pre-review comment on that item.
    park_comments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Frozen at submission: the computed items, the claims and the score the reviewers decide on.
    snapshot: Mapped[dict | None] = mapped_column(sa.JSON)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    recommended_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.Index("ix_unit_application_tenant_status", "tenant_id", "status"),
        sa.Index("ix_unit_application_tenant_enterprise", "tenant_id", "enterprise_id"),
        sa.Index("ix_unit_application_tenant_station", "tenant_id", "station_id"),
        sa.CheckConstraint("kind IN ('enterprise', 'station')", name="kind"),
        Unit.unit_constraint(),
    )

    @property
    def editable(self) -> bool:
        return self.status in UNIT_EDITABLE

    @property
    def audit_label(self) -> str:
        return f"{self.unit_name} {self.scheme} {self.year}"


class Recognition(Unit, TenantScoped, db.Model):
    """One period in which a unit is a recognised demonstration unit."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(sa.String(40), default="")
    source: Mapped[str] = mapped_column(sa.String(16), default="platform")
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit_application.id", ondelete="SET NULL"))
    certificate_no: Mapped[str] = mapped_column(sa.String(64), default="")
    issued_by: Mapped[str] = mapped_column(sa.String(200), default="")
    recognised_on: Mapped[date]
    # The last day it is valid without a re-review or evaluation; None: until revoked.
    valid_until: Mapped[date | None]
    ended_on: Mapped[date | None]  # revoked (or superseded) from this day on
    end_grounds: Mapped[str] = mapped_column(sa.String(32), default="")
    end_note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[RecognitionEvent]] = relationship(order_by="RecognitionEvent.id",
                                                          back_populates="recognition")

    __table_args__ = (
        sa.Index("ix_recognition_tenant_enterprise", "tenant_id", "enterprise_id"),
        sa.Index("ix_recognition_tenant_station", "tenant_id", "station_id"),
        sa.Index("ix_recognition_tenant_valid_until", "tenant_id", "valid_until"),
        sa.CheckConstraint("source IN ('platform', 'recorded')", name="source"),
        Unit.unit_constraint(),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.unit_name} {self.certificate_no}".strip()

    def valid_on(self, day: date) -> bool:
        return (self.recognised_on <= day and (self.valid_until is None or day <= self.valid_until)
                and (self.ended_on is None or day < self.ended_on))


class RecognitionEvent(TenantScoped, db.Model):
    """What happened to a recognition, dated: recognised, recorded, evaluated, renewed, revoked."""

    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    recognition_id: Mapped[int] = mapped_column(sa.ForeignKey("recognition.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    happened_on: Mapped[date]
    grounds: Mapped[str] = mapped_column(sa.String(32), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recognition: Mapped[Recognition] = relationship(back_populates="events")
    user = relationship("User")

    __table_args__ = (sa.Index("ix_recognition_event_tenant_recognition", "tenant_id", "recognition_id"),)
