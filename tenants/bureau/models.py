"""A bureau's own targets by year (LC-1: bases, stations, demonstration enterprises,
standard-adopting enterprises) — data the bureau edits, progress computed from its tenants."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db


class BureauTarget(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_id: Mapped[int] = mapped_column(sa.ForeignKey("bureau.id", ondelete="CASCADE"))
    year: Mapped[int]
    bases: Mapped[int | None]
    stations: Mapped[int | None]
    demonstration_units: Mapped[int | None]
    adopted_standard: Mapped[int | None]

    __table_args__ = (sa.UniqueConstraint("bureau_id", "year"),)
