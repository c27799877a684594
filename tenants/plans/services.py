"""Plan progress: each target against the live metric behind it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from saas.extensions import db

from .models import AnnualPlan, PlanTarget

# The XC-3 targets: plan field, metric, how the metric is shown (ratios as percentages).
XC_TARGETS = (
    ("training_ratio_target", "trained_enterprise_ratio", _l("Training ratio of member units"), "%"),
    ("publicity_events_target", "publicity_events", _l("Legal publicity events"), ""),
    ("demonstration_target", "demonstration_units", _l("Demonstration enterprises"), ""),
    ("rules_ratio_target", "members_with_rules_ratio", _l("Members with protection rules"), "%"),
)
# The years a plan may be written for (pages, API and the year links between them).
YEARS = range(2000, 2101)
# A free target's largest value: counts, hours, yuan — finite, and never negative.
TARGET_MAX = 1_000_000_000
# Metrics a free target may follow.
TRACKABLE = ("active_members", "members_with_liaison", "demonstration_units", "trained_enterprises",
             "training_events", "publicity_events", "training_hours", "visits", "service_logs", "complaints",
             "adopted_standard_members", "members_with_rules")


@dataclass
class Progress:
    name: str
    unit: str
    target: float
    actual: float | None
    metric: str

    @property
    def share(self) -> float | None:
        if self.actual is None or not self.target:
            return None
        return min(self.actual / self.target, 1.0)

    @property
    def reached(self) -> bool:
        return self.actual is not None and self.actual >= self.target


_PLAN = sa.select(AnnualPlan).where(AnnualPlan.year == sa.bindparam("year"))  # built once (saas/tenancy.py scoped)


def plan_for(year: int) -> AnnualPlan | None:
    return db.session.scalar(_PLAN, {"year": year})


def progress(plan: AnnualPlan, metrics: dict) -> list[Progress]:
    out = []
    for field, metric, label, unit in XC_TARGETS:
        target = getattr(plan, field)
        if target is None:
            continue
        actual = metrics.get(metric)
        if unit == "%" and actual is not None:
            actual = round(actual * 100, 1)
        out.append(Progress(str(label), unit, float(target), actual, metric))
    for t in plan.targets:
        out.append(Progress(t.name, t.unit, t.target, metrics.get(t.metric) if t.metric else None, t.metric))
    return out


def copy_from(year: int) -> AnnualPlan:
    """A new plan for `year` starting from last year's (targets and narrative)."""
    previous = plan_for(year - 1)
    plan = AnnualPlan(year=year)
    if previous is not None:
        for field in ("training_ratio_target", "publicity_events_target", "demonstration_target",
                      "rules_ratio_target", "key_tasks", "budget", "schedule"):
            setattr(plan, field, getattr(previous, field))
        plan.targets = [PlanTarget(name=t.name, unit=t.unit, target=t.target, metric=t.metric) for t in previous.targets]
    db.session.add(plan)
    return plan
