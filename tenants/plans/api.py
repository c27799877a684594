"""GET/PUT /plans/<year>: the annual work plan with live progress."""

from __future__ import annotations

from saas.api import ApiError, body, tenant_route
from saas.extensions import db
from tenants.metrics.service import tenant_metrics
from tenants.training.coverage import Period

from .models import AnnualPlan, PlanTarget
from .services import TARGET_MAX, TRACKABLE, YEARS, plan_for, progress

# field: (lowest, highest, type) — counts are whole numbers, as the columns are.
NUMBERS = {"training_ratio_target": (0, 100, float), "publicity_events_target": (0, 10000, int),
           "demonstration_target": (0, 10000, int), "rules_ratio_target": (0, 100, float)}
TEXTS = {"key_tasks": 10000, "budget": 5000, "schedule": 5000}


def plan_json(plan: AnnualPlan) -> dict:
    return {"year": plan.year, **{k: getattr(plan, k) for k in NUMBERS}, **{k: getattr(plan, k) for k in TEXTS},
            "targets": [{"name": t.name, "unit": t.unit, "target": t.target, "metric": t.metric or None}
                        for t in plan.targets],
            "progress": [{"name": p.name, "unit": p.unit, "target": p.target, "actual": p.actual, "reached": p.reached}
                         for p in progress(plan, tenant_metrics(Period.year(plan.year)))]}


def _year(year: int) -> int:
    if year not in YEARS:
        raise ApiError(404)
    return year


@tenant_route("/plans/<int:year>", "plans.view")
def get_plan(year):
    plan = plan_for(_year(year))
    if plan is None:
        raise ApiError(404)
    return plan_json(plan)


@tenant_route("/plans/<int:year>", "plans.manage", methods=("PUT",))
def put_plan(year):
    data = body()
    fields = {k: "unknown field" for k in set(data) - set(NUMBERS) - set(TEXTS) - {"targets"}}
    for key, (low, high, kind) in NUMBERS.items():
        value = data.get(key)
        if value is not None and (not isinstance(value, (int, kind)) or isinstance(value, bool)
                                  or not low <= value <= high):
            fields[key] = f"a {'whole ' if kind is int else ''}number from {low} to {high}, or null"
    for key, limit in TEXTS.items():
        if key in data and (not isinstance(data[key], str) or len(data[key]) > limit):
            fields[key] = f"text, at most {limit} characters"
    targets = []
    for n, t in enumerate(data.get("targets") or []):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not t["name"].strip() or \
                not isinstance(t.get("target"), (int, float)) or isinstance(t.get("target"), bool) or \
                not 0 <= t["target"] <= TARGET_MAX or \
                (t.get("metric") not in (None, "") and t.get("metric") not in TRACKABLE):
            fields[f"targets[{n}]"] = f"name (text), target (a number from 0 to {TARGET_MAX}), unit (text), " \
                                      "metric (optional, a trackable metric)"
        else:
            targets.append(PlanTarget(name=t["name"].strip()[:200], unit=str(t.get("unit", ""))[:40],
                                      target=float(t["target"]), metric=t.get("metric") or ""))
    if data.get("targets") is not None and not isinstance(data.get("targets"), list):
        fields["targets"] = "a list"
    if fields:
        raise ApiError(422, fields=fields)
    plan = plan_for(_year(year))
    created = plan is None
    plan = plan or AnnualPlan(year=year)
    for key in NUMBERS:
        setattr(plan, key, data.get(key))
    for key in TEXTS:
        setattr(plan, key, data.get(key, ""))
    plan.targets = targets
    db.session.add(plan)
    db.session.commit()
    return plan_json(plan), 201 if created else 200
