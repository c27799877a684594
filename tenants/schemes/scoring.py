"""Readiness: a scheme evaluated against live metrics and the tenant's declarations.

Points schemes: an item earns its points when met; a group earns min(sum, cap); bonus groups add
on top; the total never exceeds `max`; passed when total >= pass_mark (no pass mark: the score is
shown and the reviewers decide). Criteria schemes: passed when every criterion holds; an optional
criterion is shown but never required. A manual item counts only when declared met *with
evidence*; a reviewer's override replaces its points. An item whose rule names `declared` is
decided by the records where they decide it (met, or not met whatever is declared), else by
the declaration, as a manual item.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .loader import DECLARED, Group, Item, Scheme
from .rules import COMPARE, _eval, _name

MET, NOT_MET, NEEDS_EVIDENCE, OVERRIDDEN, UNDECLARED = "met", "not_met", "needs_evidence", "overridden", "undeclared"


@dataclass
class Shortfall:
    metric: str
    value: object
    op: str
    target: float

    @property
    def gap(self) -> float | None:
        """How many more are needed ("2 more demonstration units"); None for ratios."""
        if self.metric.endswith("_ratio") or isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            return None
        if self.op == ">=":
            return max(0, self.target - self.value)
        if self.op == ">" and float(self.target).is_integer():
            return max(0, self.target + 1 - self.value)
        return None


@dataclass
class ItemResult:
    item: Item
    status: str
    points: float
    values: dict = field(default_factory=dict)
    shortfalls: list[Shortfall] = field(default_factory=list)
    declaration: object = None
    evidence: list = field(default_factory=list)


@dataclass
class GroupResult:
    group: Group
    items: list[ItemResult]
    raw: float
    score: float


@dataclass
class Result:
    scheme: Scheme
    groups: list[GroupResult]
    total: float
    passed: bool | None
    met: int
    count: int

    @property
    def maximum(self) -> float:
        return self.scheme.max if self.scheme.mode == "points" else self.count


OPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}


def shortfalls(node, metrics: dict) -> list[Shortfall]:
    """The failing comparisons of a rule: what is missing and by how much."""
    if isinstance(node, ast.BoolOp):
        parts = [shortfalls(v, metrics) for v in node.values]
        if isinstance(node.op, ast.Or):
            return [] if any(not p and _eval(v, metrics) for p, v in zip(parts, node.values)) else \
                [s for p in parts for s in p]
        return [s for p in parts for s in p]
    if isinstance(node, ast.Compare) and not _eval(node, metrics):
        if isinstance(node.comparators[0], ast.Constant) and not isinstance(node.left, ast.Constant):
            name = _name(node.left)
            return [Shortfall(name, metrics.get(name), OPS[type(node.ops[0])], node.comparators[0].value)]
    if isinstance(node, (ast.Name, ast.Attribute)) and not _eval(node, metrics):
        name = _name(node)
        return [Shortfall(name, metrics.get(name), "==", True)]
    return []


def _values(item: Item, metrics: dict) -> dict:
    """The figures shown with an item: those its rule reads, then its `facts`."""
    names = sorted(n for n in item.rule.names if n != DECLARED) if item.rule is not None else []
    return {n: metrics.get(n) for n in [*names, *item.facts]}


def _item(item: Item, metrics: dict, declaration, evidence: list) -> ItemResult:
    values = _values(item, metrics)
    if item.rule is not None and not item.judged:
        met = item.rule(metrics)
        return ItemResult(item, MET if met else NOT_MET, item.points if met else 0, values,
                          [] if met else shortfalls(item.rule.tree, metrics))
    if declaration is not None and declaration.override_points is not None:
        return ItemResult(item, OVERRIDDEN, min(declaration.override_points, item.points or 1), values,
                          declaration=declaration, evidence=evidence)
    if item.judged:
        claimed = {**metrics, DECLARED: True}
        if not item.rule(claimed):  # the records say no, whatever is declared
            return ItemResult(item, NOT_MET, 0, values, shortfalls(item.rule.tree, claimed), declaration, evidence)
        if item.rule({**metrics, DECLARED: False}):  # the records alone say yes
            return ItemResult(item, MET, item.points, values, declaration=declaration, evidence=evidence)
    if declaration is None or not declaration.met:
        return ItemResult(item, UNDECLARED, 0, values, declaration=declaration, evidence=evidence)
    if not evidence:
        return ItemResult(item, NEEDS_EVIDENCE, 0, values, declaration=declaration, evidence=evidence)
    return ItemResult(item, MET, item.points, values, declaration=declaration, evidence=evidence)


def evaluate(scheme: Scheme, metrics: dict, declarations: dict | None = None,
             evidence: dict | None = None) -> Result:
    """declarations: item code → Declaration; evidence: item code → its files."""
    declarations, evidence = declarations or {}, evidence or {}
    groups, count, met = [], 0, 0
    for group in scheme.groups:
        items = [_item(i, metrics, declarations.get(i.code), evidence.get(i.code, [])) for i in group.items]
        raw = sum(r.points for r in items)
        score = min(raw, group.cap) if group.cap is not None else raw
        groups.append(GroupResult(group, items, raw, score))
        required = [r for r in items if not r.item.optional]
        count += len(required)
        # A reviewer's override of 0 means "not met", in points and criteria schemes alike.
        met += sum(1 for r in required if r.status == MET or (r.status == OVERRIDDEN and r.points > 0))
    if scheme.mode == "points":
        total = min(sum(g.score for g in groups), scheme.max)
        passed = total >= scheme.pass_mark if scheme.pass_mark is not None else None
    else:
        total = met
        passed = met == count
    return Result(scheme, groups, total, passed, met, count)
