"""The annual work plan (XC-3): the four XC targets, free targets and narrative sections."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy import TenantScoped


class AnnualPlan(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    # XC-3 targets; ratios are stored as percentages (0–100) the way plans are written.
    training_ratio_target: Mapped[float | None]
    publicity_events_target: Mapped[int | None]
    demonstration_target: Mapped[int | None]
    rules_ratio_target: Mapped[float | None]
    key_tasks: Mapped[str] = mapped_column(sa.Text, default="")
    budget: Mapped[str] = mapped_column(sa.Text, default="")
    schedule: Mapped[str] = mapped_column(sa.Text, default="")

    targets: Mapped[list[PlanTarget]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                     order_by="PlanTarget.id")

    __table_args__ = (sa.UniqueConstraint("tenant_id", "year"),)

    @property
    def audit_label(self) -> str:
        return str(self.year)

    # XC-4: the targets a Xicheng plan sets (the metrics service tests them in SQL too).
    XC_TARGETS = ("training_ratio_target", "publicity_events_target", "demonstration_target", "rules_ratio_target")

    @property
    def has_xc_targets(self) -> bool:
        return None not in (getattr(self, name) for name in self.XC_TARGETS)


class PlanTarget(TenantScoped, db.Model):
    """A free target: a name, a unit, a number; optionally tracked by a metric."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("annual_plan.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(40), default="")
    target: Mapped[float]
    metric: Mapped[str] = mapped_column(sa.String(64), default="")

    plan: Mapped[AnnualPlan] = relationship(back_populates="targets")

    __table_args__ = (sa.Index("ix_plan_target_tenant_plan", "tenant_id", "plan_id"),)

    @property
    def audit_label(self) -> str:
        return self.name
