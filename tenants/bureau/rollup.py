"""The bureau roll-up (LC-1, CQ-4, WH-4, TJ-7): the jurisdiction as a tree — province → city →
district → base — with the year's figures at each level, the level's own target where one is
set, and the CQ-4 indicators of each district.

The per-base figures are jurisdiction()'s rows (the metrics service's definitions, grouped by
tenant); a bureau's figure is the sum over its bases and the bureaus below it. A whole tree costs
a fixed number of statements: the bureau tree, the jurisdiction's grouped statements, the
targets and the indicators — whatever the number of bureaus and bases.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _

from saas.extensions import db
from saas.tenancy import subtree
from saas.tenant_cache import cached_across
from tenants.workbench.service import BureauRow, below, bureau_tree

from .indicators import CODES, QUALITATIVE, RECOGNISED_BASES_INDICATOR
from .models import BureauTarget, DistrictIndicator
from .service import Row, jurisdiction, stamp

# The figures of every level, in the order of the table and the export.
FIGURES = ("bases", "stations", "demonstration_units", "liaison_enterprises", "trained_enterprises",
           "adopted_standard", "active_members", "reports_on_time", "reports_due")
# The figures a BureauTarget sets (its columns of the same names).
TARGETED = ("bases", "stations", "demonstration_units", "liaison_enterprises", "adopted_standard")
# Each roll-up figure as the name of the tenant metric it is (tests compare them per base).
METRIC_OF = {"demonstration_units": "demonstration_units", "liaison_enterprises": "members_with_liaison",
             "trained_enterprises": "trained_enterprises", "adopted_standard": "adopted_standard_members",
             "active_members": "active_members", "stations": "stations"}


class Target(NamedTuple):
    """A bureau's targets of the year (its BureauTarget), read as values: a roll-up is kept
    between requests (rollup()), and ORM objects must not outlive their session."""

    bureau_id: int
    bases: int | None
    stations: int | None
    demonstration_units: int | None
    adopted_standard: int | None
    liaison_enterprises: int | None


class Indicator(NamedTuple):
    """One CQ-4 item a district recorded (its DistrictIndicator), as values."""

    bureau_id: int
    code: str
    state: str
    note: str
    updated_at: datetime


def figure_labels() -> dict:
    return {"bases": _("Recognised bases"), "stations": _("Guidance stations"),
            "demonstration_units": _("Demonstration units"), "liaison_enterprises": _("Liaison enterprises"),
            "trained_enterprises": _("Trained enterprises"),
            "adopted_standard": _("Members that adopted the local standard"),
            "active_members": _("Active members"), "reports_on_time": _("Reports received on time"),
            "reports_due": _("Reports due")}


def level_labels() -> dict:
    return {"province": _("Province"), "city": _("City"), "district": _("District"), "base": _("Base")}


def base_figures(row: Row) -> dict:
    return {"bases": int(row.base_recognised), "stations": row.stations, "demonstration_units": row.demonstration,
            "liaison_enterprises": row.liaison, "trained_enterprises": row.trained, "adopted_standard": row.adopted,
            "active_members": row.active, "reports_on_time": row.reports_on_time, "reports_due": row.reports_due}


@dataclass
class Node:
    bureau: BureauRow
    depth: int = 0
    children: list[Node] = field(default_factory=list)
    bases: list[Row] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    target: Target | None = None
    indicators: dict = field(default_factory=dict)  # code → Indicator (districts)
    cq4: bool = False  # a district in Chongqing (or of no known place): CQ-4 applies

    @property
    def id(self) -> int:
        return self.bureau.id

    @property
    def name(self) -> str:
        return self.bureau.name

    @property
    def level(self) -> str:
        return self.bureau.level

    @property
    def is_district(self) -> bool:
        return self.bureau.level == "district"

    @property
    def tenants(self) -> int:
        return len(self.bases) + sum(c.tenants for c in self.children)

    def goal(self, name: str) -> int | None:
        return getattr(self.target, name) if self.target is not None and name in TARGETED else None

    def progress(self, name: str) -> float | None:
        """The share of the target reached, 0–1 (None without a target; a target of 0 is met)."""
        goal = self.goal(name)
        if goal is None:
            return None
        return 1.0 if goal == 0 else min(self.figures[name] / goal, 1.0)

    @property
    def cq4_bases_met(self) -> bool:
        return self.figures.get("bases", 0) >= RECOGNISED_BASES_INDICATOR

    @property
    def cq4_met(self) -> int:
        return sum(1 for code in CODES if code in self.indicators and self.indicators[code].state == "met")


@dataclass
class Line:
    """One row of the table and of the export: a bureau (node) or a base (row)."""

    depth: int
    level: str
    name: str
    figures: dict
    node: Node | None = None
    row: Row | None = None
    parent: str = ""


@dataclass
class Rollup:
    year: int
    root: Node
    nodes: dict[int, Node]
    lines: list[Line]
    tree: list[BureauRow]
    own_level: str  # the reviewer's own bureau's level

    version: str  # a digest of everything the table shows (rollup()'s key): what is rendered from it is cached under it


def rollup(bureau_id: int, year: int, node_id: int | None = None, today: date | None = None) -> Rollup | None:
    """The tree under `node_id` (default: the reviewer's bureau `bureau_id`); None when that node
    is not within the reviewer's jurisdiction.

    Kept between requests under what it is made of — the stamp of the bases' data versions, the
    targets and CQ-4 items under the node and the reviewer's bureau tree (service.stamp), which
    also says whether the node is within reach —, read on every call: a repeated view runs one
    statement and builds nothing (a province's tree of 450 lines cost more to build than the rest
    of the request). Callers read it, never change it."""
    node_id = bureau_id if node_id is None else node_id
    version = stamp(node_id, year, reviewer=bureau_id)
    if version is None:  # not within the reviewer's jurisdiction
        return None
    day = today or date.today()  # reports "due so far" move with the day
    key = (bureau_id, node_id, year, day, version)
    return cached_across("bureau.rollup.tree", key, lambda: build(bureau_id, node_id, year, day, key))


def build(bureau_id: int, node_id: int, year: int, day: date, key: tuple) -> Rollup:
    """Read what the tree under `node_id` is made of — the reviewer's bureau tree, the bases'
    rows (their figures from the tenant cache), the targets and CQ-4 items — and build it."""
    tree = bureau_tree(bureau_id)  # read after the stamp: at least as new as what it is filed under
    ids = below(tree, node_id)
    under = sa.select(subtree(node_id).c.id)  # the same bureaus as `ids`, as SQL (one bound value)
    rows = jurisdiction(None, year, bureau_ids=under, today=day)
    # Bureau tables, no tenant's rows: Core statements on the session's connection (in its
    # transaction), without the ORM's per-statement work.
    t, i = BureauTarget.__table__.c, DistrictIndicator.__table__.c
    connection = db.session.connection()
    targets = {r.bureau_id: r for r in (Target(*row) for row in connection.execute(
        sa.select(t.bureau_id, *[t[f] for f in Target._fields[1:]]).where(t.bureau_id.in_(under), t.year == year)))}
    indicators: dict[int, dict] = {}
    for ind in (Indicator(*row) for row in connection.execute(
            sa.select(i.bureau_id, i.code, i.state, i.note, i.updated_at)
            .where(i.bureau_id.in_(under), i.year == year, i.code.in_(QUALITATIVE)))):
        indicators.setdefault(ind.bureau_id, {})[ind.code] = ind
    nodes = {r.id: Node(r, target=targets.get(r.id), indicators=indicators.get(r.id, {}))
             for r in tree if r.id in ids}
    for r in sorted(nodes.values(), key=lambda n: (n.name, n.id)):
        if r.bureau.parent_id in nodes and r.id != node_id:
            nodes[r.bureau.parent_id].children.append(r)
    for row in rows:
        nodes[row.tenant.bureau_id].bases.append(row)
    for node in nodes.values():
        node.cq4 = node.is_district and (bool(node.indicators) or _place(tree, node.id) in ("cq", ""))
    root = nodes[node_id]
    lines: list[Line] = []
    _walk(root, 0, "", lines)
    version = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    return Rollup(year, root, nodes, lines, tree, tree[0].level, version)


def _place(tree: list[BureauRow], bureau_id: int) -> str:
    """The standard the bureau's place gives (tenants.schemes.standards.derive, by the names of
    the bureau and those above it)."""
    from tenants.schemes.standards import derive

    rows = {r.id: SimpleNamespace(name=r.name, parent=None) for r in tree}
    for r in tree:
        if r.parent_id in rows:
            rows[r.id].parent = rows[r.parent_id]
    return derive(rows.get(bureau_id))


def _walk(node: Node, depth: int, parent: str, lines: list[Line]) -> dict:
    """Depth first: the node's line, its bureaus' subtrees, then its own bases; fills the sums."""
    node.depth = depth
    line = Line(depth, node.level, node.name, {}, node=node, parent=parent)
    lines.append(line)
    totals = dict.fromkeys(FIGURES, 0)
    for child in node.children:
        for k, v in _walk(child, depth + 1, node.name, lines).items():
            totals[k] += v
    for row in node.bases:
        figures = base_figures(row)
        lines.append(Line(depth + 1, "base", row.tenant.name, figures, row=row, parent=node.name))
        for k, v in figures.items():
            totals[k] += v
    node.figures = line.figures = totals
    return totals


def can_record_indicators(user, node: Node, own_level: str) -> bool:
    """CQ-4 items are judged by the district's reviewers, or a city reviewer for its districts."""
    return bool(user.is_reviewer and node.is_district
                and (node.id == user.bureau_id or own_level == "city"))
