"""A bureau's own targets by year (LC-1: bases, stations, demonstration enterprises,
standard-adopting enterprises; TJ-7: liaison enterprises) — data the bureau edits, progress
computed from its tenants — and the CQ-4 qualitative indicators a district records."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy import utcnow


class BureauTarget(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_id: Mapped[int] = mapped_column(sa.ForeignKey("bureau.id", ondelete="CASCADE"))
    year: Mapped[int]
    bases: Mapped[int | None]
    stations: Mapped[int | None]
    demonstration_units: Mapped[int | None]
    adopted_standard: Mapped[int | None]
    liaison_enterprises: Mapped[int | None]  # TJ-7: at least 30 liaison enterprises in the district

    __table_args__ = (sa.UniqueConstraint("bureau_id", "year"),)


INDICATOR_STATES = ("met", "partly", "not_met")


class DistrictIndicator(db.Model):
    """One CQ-4 qualitative item of a pilot district for a year, as its reviewers judged it
    (tenants/bureau/indicators.py names the seven). A bureau's record, not a tenant's."""

    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_id: Mapped[int] = mapped_column(sa.ForeignKey("bureau.id", ondelete="CASCADE"))
    year: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(16))
    state: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("bureau_id", "year", "code"),
        sa.CheckConstraint("state IN ('met', 'partly', 'not_met')", name="state"),
    )
