"""What a tenant keeps about its assessment: the schemes it is assessed against, its manual
declarations (with evidence and reviewer overrides) and a daily readiness snapshot."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow


class SchemeChoice(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))

    __table_args__ = (sa.UniqueConstraint("tenant_id", "code"),)

    @property
    def audit_label(self) -> str:
        return self.code


class Declaration(TenantScoped, db.Model):
    """A manual item for one scheme and year: declared met (evidence attached), with a note;
    a reviewer may override the points later."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    item: Mapped[str] = mapped_column(sa.String(20))
    met: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    override_points: Mapped[float | None]
    override_note: Mapped[str] = mapped_column(sa.Text, default="")
    overridden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "scheme", "year", "item"),)

    @property
    def audit_label(self) -> str:
        return f"{self.scheme} {self.year} #{self.item}"


class ReadinessSnapshot(TenantScoped, db.Model):
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    day: Mapped[date]
    score: Mapped[float]
    maximum: Mapped[float]
    passed: Mapped[bool | None]

    __table_args__ = (sa.UniqueConstraint("tenant_id", "scheme", "year", "day"),)
