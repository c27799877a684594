"""GET /metrics and GET /readiness over the API: the same service as the pages."""

from __future__ import annotations

from datetime import date

from flask import g, request

from saas.api import ApiError, tenant_route
from tenants.metrics.service import tenant_metrics
from tenants.training.coverage import Period

from .service import applicable, default_scheme, readiness, schemes


@tenant_route("/metrics", "readiness.view")
def metrics():
    try:
        start = date.fromisoformat(request.args["from"]) if request.args.get("from") else date(date.today().year, 1, 1)
        end = date.fromisoformat(request.args["to"]) if request.args.get("to") else date(start.year, 12, 31)
    except ValueError:
        raise ApiError(400, "from and to are ISO 8601 dates", {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"})
    if end < start:
        raise ApiError(400, "to is before from", {"to": "on or after from"})
    return {"from": start.isoformat(), "to": end.isoformat(), "metrics": tenant_metrics(Period(start, end))}


@tenant_route("/readiness", "readiness.view")
def readiness_json():
    code = request.args.get("scheme")
    scheme = schemes().get(code) if code else default_scheme(g.tenant)
    if scheme is None or scheme not in applicable(g.tenant):  # another set of standards' scheme too
        raise ApiError(404, "unknown scheme")
    if scheme.per_enterprise:
        raise ApiError(400, "an enterprise scheme is evaluated per member, not for the base")
    try:
        year = int(request.args.get("year", date.today().year))
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        raise ApiError(400, "year is a four-digit year", {"year": "YYYY"})
    result = readiness(scheme, year)
    return {
        "scheme": scheme.code, "year": year, "score": result.total, "max": result.maximum,
        "pass_mark": scheme.pass_mark, "passed": result.passed,
        "groups": [{"code": g_.group.code, "cap": g_.group.cap, "raw": g_.raw, "awarded": g_.score} for g_ in result.groups],
        "items": [{"code": r.item.code, "title": r.item.title_zh, "points": r.item.points, "awarded": r.points,
                   "kind": "manual" if r.item.manual else "automatic", "status": r.status,
                   "value": {k: v for k, v in r.values.items()} or None,
                   "missing": [{"metric": s.metric, "value": s.value, "op": s.op, "target": s.target, "gap": s.gap}
                               for s in r.shortfalls]}
                  for g_ in result.groups for r in g_.items],
    }
