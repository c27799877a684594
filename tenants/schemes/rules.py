"""Automatic item rules: small boolean expressions over named metrics, e.g.

    demonstration_units >= 5
    trained_enterprise_ratio > 0.5 or trained_enterprises >= 30
    five.rules and ruleset.leak_emergency_plan

Parsed with `ast` into a tiny tree (names, numbers, comparisons, and/or/not) — never eval().
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

COMPARE = {ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    source: str
    tree: ast.AST
    names: frozenset[str]

    def __call__(self, metrics: dict) -> bool:
        return bool(_eval(self.tree, metrics))


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    raise RuleError("only metric names, numbers, comparisons and and/or/not are allowed")


def _check(node, names: set) -> None:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, (ast.And, ast.Or)):
        for value in node.values:
            _check(value, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check(node.operand, names)
    elif isinstance(node, ast.Compare):
        if any(type(op) not in COMPARE for op in node.ops):
            raise RuleError("unsupported comparison")
        for part in [node.left, *node.comparators]:
            _check(part, names)
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        pass
    elif isinstance(node, (ast.Name, ast.Attribute)):
        names.add(_name(node))
    else:
        raise RuleError("only metric names, numbers, comparisons and and/or/not are allowed")


def parse(source: str, known: set[str] | None = None) -> Rule:
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise RuleError(f"not a valid rule: {exc.msg}") from exc
    names: set[str] = set()
    _check(tree, names)
    unknown = sorted(n for n in names if known is not None and n not in known)
    if unknown:
        raise RuleError(f"unknown metric {', '.join(unknown)}")
    return Rule(source, tree, frozenset(names))


def _eval(node, metrics: dict):
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, metrics) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp):
        return not _eval(node.operand, metrics)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, metrics)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, metrics)
            if left is None or right is None or not COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Constant):
        return node.value
    return metrics.get(_name(node))
