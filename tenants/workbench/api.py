"""GET /api/v1/bureaus/<bureau_id>/workbench: the reviewer's workbench as JSON (a reviewer's
token of that bureau; any other answers 404, as the bureau overview does)."""

from __future__ import annotations

from flask import request

from saas.api import ApiError, MAX_PER_PAGE, authenticate, bp, iso, throttled
from saas.extensions import db
from saas.tenancy import Bureau

from . import service
from .items import STAGES, TABS


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 7 or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} is an integer from {low} to {high}", {name: f"{low}..{high}"})
    return int(raw)


def _checked(name: str, allowed) -> None:
    value = request.args.get(name)
    if value not in (None, "") and value not in allowed:
        raise ApiError(400, f"{name} is one of: {', '.join(sorted(map(str, allowed)))}", {name: "unknown"})


@bp.route("/bureaus/<int:bureau_id>/workbench")
@throttled
def bureau_workbench(bureau_id):
    user = authenticate().user
    if not user.is_reviewer or user.bureau_id != bureau_id:
        raise ApiError(404)
    bureau = db.session.get(Bureau, bureau_id)
    tab = request.args.get("tab", "todo")
    if tab not in TABS:
        raise ApiError(400, "tab is one of: todo, done, all", {"tab": "todo|done|all"})
    page, per_page = _int("page", 1, 1, 1_000_000), _int("per_page", 50, 1, MAX_PER_PAGE)
    tree = service.bureau_tree(bureau_id)
    _checked("stage", STAGES)
    _checked("scheme", service.schemes())
    _checked("district", {str(r.id) for r in tree})
    if request.args.get("year") not in (None, ""):
        _int("year", 0, 2000, 2100)
    bench = service.load(user, tab, service.parse_filters(request.args, tree), page, per_page, tree=tree)
    return {"bureau": {"id": bureau.id, "name": bureau.name, "level": bureau.level}, "tab": tab,
            "counts": bench.counts, "page": page, "per_page": per_page, "total": bench.counts[tab],
            "items": [{"kind": i.kind, "id": i.id, "tenant": {"slug": i.tenant_slug, "name": i.tenant_name},
                       "unit": i.unit_name, "scheme": i.scheme, "scheme_title": i.scheme_title, "year": i.year,
                       "status": i.status, "stage": i.stage, "kind_label": i.kind_label, "since": iso(i.since),
                       "days": i.days, "deadline": iso(i.deadline), "url": i.url} for i in bench.items]}
