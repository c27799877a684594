"""GET /api/v1/bureaus/<bureau_id>/rollup: the roll-up as JSON, one line per node — bureaus with
their totals, targets and (districts) CQ-4 items, bases with their figures (a reviewer's token
of that bureau; any other answers 404, as the overview and the workbench do)."""

from __future__ import annotations

from datetime import date

from flask import current_app, request

from saas.api import ApiError, authenticate, bp, throttled
from saas.numbers import MAX_ID
from saas import replica
from saas.tenant_cache import cached_across

from .indicators import CODES
from .rollup import FIGURES, TARGETED, rollup


def _int(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} is an integer from {low} to {high}", {name: f"{low}..{high}"})
    return int(raw)


@bp.route("/bureaus/<int:bureau_id>/rollup")
@throttled
def bureau_rollup(bureau_id):
    user = authenticate().user
    if not user.is_reviewer or user.bureau_id != bureau_id:
        raise ApiError(404)
    year = _int("year", date.today().year, 2000, 2100)
    node = _int("node", None, 1, MAX_ID)
    # The token's checks above read (and stamp) the primary; the roll-up may come from the replica.
    body = replica.call(_body, bureau_id, year, node)
    return current_app.response_class(body, mimetype="application/json")


def _body(bureau_id: int, year: int, node_id: int | None) -> str:
    """The JSON text, kept under the roll-up's version (every base's data version and every
    bureau's name, place, targets and CQ-4 items): writing out a province's 450 lines cost more
    than building the tree."""
    tree = rollup(bureau_id, year, node_id)
    if tree is None:
        raise ApiError(404)
    return cached_across("api.bureau.rollup", (bureau_id, year, node_id, tree.version),
                         lambda: current_app.json.dumps(_payload(tree, year)))


def _payload(tree, year: int) -> dict:
    lines = []
    for line in tree.lines:
        item = {"level": line.level, "name": line.name, "parent": line.parent or None, "depth": line.depth,
                "figures": {f: line.figures[f] for f in FIGURES}}
        if line.node is not None:
            node = line.node
            item["bureau_id"] = node.id
            item["targets"] = {f: node.goal(f) for f in TARGETED}
            if node.cq4:
                item["cq4"] = {"bases_met": node.cq4_bases_met,
                               "items": {c: node.indicators[c].state if c in node.indicators else None
                                         for c in CODES}}
        else:
            item["tenant"] = {"slug": line.row.tenant.slug, "name": line.row.tenant.name}
        lines.append(item)
    root = tree.root
    return {"bureau": {"id": root.id, "name": root.name, "level": root.level}, "year": year, "lines": lines}
