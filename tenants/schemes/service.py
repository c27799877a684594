"""Readiness for a tenant: which schemes apply, their evaluation, snapshots."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app

from saas import files
from saas.extensions import db
from saas.tenancy import Tenant
from tenants.metrics.service import enterprise_metrics, tenant_metrics
from tenants.training.coverage import Period

from .models import Declaration, ReadinessSnapshot, SchemeChoice
from .scoring import Result, evaluate
from .standards import standard_of


def schemes() -> dict:
    return current_app.extensions["schemes"]


def applicable(tenant: Tenant) -> list:
    """The schemes of the tenant's set of standards (tenants/schemes/standards.py) for its kind."""
    return standard_of(tenant).applicable(tenant.kind)


def base_schemes(tenant: Tenant) -> list:
    """The schemes the base itself is assessed and applies against (not per member)."""
    return standard_of(tenant).base_schemes(tenant.kind)


# The readiness page's small reads, built once: a statement built per call is given its tenant
# scope and cache key afresh on every run (saas/tenancy.py scoped), a kept one once per tenant.
_CHOSEN = sa.select(SchemeChoice.code).order_by(SchemeChoice.id)
_DECLARATIONS = sa.select(Declaration).where(Declaration.scheme == sa.bindparam("scheme"),
                                             Declaration.year == sa.bindparam("year"))
_HISTORY = (sa.select(ReadinessSnapshot).where(ReadinessSnapshot.scheme == sa.bindparam("scheme"),
                                               ReadinessSnapshot.year == sa.bindparam("year"))
            .order_by(ReadinessSnapshot.day))


def chosen_codes(tenant: Tenant) -> list[str]:
    """The schemes the base chose, among those its set offers (a choice made under another set
    is kept, not shown)."""
    offered = {s.code for s in applicable(tenant)}
    return [c for c in db.session.scalars(_CHOSEN) if c in offered]


def choose(tenant: Tenant, codes: list[str]) -> None:
    offered = {s.code for s in applicable(tenant)}
    wanted = [c for c in codes if c in offered]
    current = {c.code: c for c in db.session.scalars(sa.select(SchemeChoice))}
    for code, row in current.items():
        if code in offered and code not in wanted:
            db.session.delete(row)
    for code in wanted:
        if code not in current:
            db.session.add(SchemeChoice(code=code))


def default_scheme(tenant: Tenant):
    codes = chosen_codes(tenant)
    if codes:
        return schemes()[codes[0]]
    options = base_schemes(tenant)
    return options[0] if options else None


def declarations(scheme_code: str, year: int) -> tuple[dict, dict]:
    """Declarations by item, and their evidence files by item (two queries)."""
    rows = {d.item: d for d in db.session.scalars(_DECLARATIONS, {"scheme": scheme_code, "year": year})}
    by_id = {d.id: d.item for d in rows.values()}
    evidence: dict[str, list] = {}
    if by_id:
        for attachment in db.session.scalars(sa.select(files.Attachment).where(
                files.Attachment.owner_type == "declaration", files.Attachment.owner_id.in_(by_id))
                .order_by(files.Attachment.id)):
            evidence.setdefault(by_id[attachment.owner_id], []).append(attachment)
    return rows, evidence


def readiness(scheme, year: int, metrics: dict | None = None) -> Result:
    metrics = metrics if metrics is not None else tenant_metrics(Period.year(year))
    rows, evidence = declarations(scheme.code, year)
    return evaluate(scheme, metrics, rows, evidence)


def per_enterprise(scheme, year: int) -> list[tuple[int, Result]]:
    """An enterprise scheme over every active member (manual items count as not declared)."""
    return [(eid, evaluate(scheme, m)) for eid, m in enterprise_metrics(year).items()]


def snapshot(scheme, year: int, result: Result, day: date | None = None) -> None:
    day = day or date.today()
    row = db.session.scalar(sa.select(ReadinessSnapshot).where(
        ReadinessSnapshot.scheme == scheme.code, ReadinessSnapshot.year == year, ReadinessSnapshot.day == day))
    row = row or ReadinessSnapshot(scheme=scheme.code, year=year, day=day)
    row.score, row.maximum, row.passed = result.total, result.maximum, result.passed
    db.session.add(row)


def history(scheme_code: str, year: int) -> list[ReadinessSnapshot]:
    return list(db.session.scalars(_HISTORY, {"scheme": scheme_code, "year": year}))


def snapshot_tenant(tenant: Tenant, day: date | None = None) -> int:
    """Today's score for every scheme the tenant chose (or its default); returns how many."""
    year = (day or date.today()).year
    codes = chosen_codes(tenant) or ([default_scheme(tenant).code] if default_scheme(tenant) else [])
    metrics = tenant_metrics(Period.year(year))
    n = 0
    for code in codes:
        scheme = schemes()[code]
        if scheme.per_enterprise:
            continue
        snapshot(scheme, year, readiness(scheme, year, metrics), day)
        n += 1
    return n


def dial(scheme, result) -> str:
    """The result as a gauge (saas/charts.py), marked at the scheme's pass mark where it sets
    one — for points only; a list of criteria has no mark, and none is invented."""
    from flask_babel import gettext as _

    from saas.charts import gauge
    from saas.numbers import score

    mark = scheme.pass_mark if scheme.mode == "points" else None
    return gauge(result.total, result.maximum, mark, _("pass mark %(n)s", n=score(mark)) if mark is not None else "")
