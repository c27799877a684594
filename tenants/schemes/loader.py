"""Schemes are data: TOML files in tenants/schemes/data, loaded and validated at start-up.

An item is computed from the records (`rule`), or judged (`manual = true`: declared met with
evidence, a reviewer may override), or both: a rule that names `declared` is decided by the
records where they can decide it, and by the unit's declaration (with evidence) for the part no
record holds — e.g. CQ-1 item 6 "not infringed *or successfully defended*". `facts` lists more
figures shown beside an item (what a reviewer judges from), `note_zh`/`note_en` say what the
source leaves open, and `optional = true` marks a criterion the source only allows ("may").

A mistake in a file stops the app with one line naming the file and the problem.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .rules import Rule, RuleError, parse

DATA = Path(__file__).resolve().parent / "data"
APPLIES = ("park", "association", "enterprise", "station")
MODES = ("points", "criteria")
# In a rule: the item's own declaration, met with evidence (scoring.py supplies it per item).
DECLARED = "declared"


class SchemeError(ValueError):
    pass


@dataclass(frozen=True)
class Item:
    code: str
    title_zh: str
    title_en: str
    points: float = 0
    rule: Rule | None = None
    manual: bool = False
    facts: tuple[str, ...] = ()
    note_zh: str = ""
    note_en: str = ""
    optional: bool = False

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_zh

    def note(self, locale: str) -> str:
        return self.note_en if locale == "en" else self.note_zh

    @property
    def judged(self) -> bool:
        """Computed and declared at once: the rule names `declared`."""
        return self.rule is not None and DECLARED in self.rule.names


@dataclass(frozen=True)
class Group:
    code: str
    title_zh: str
    title_en: str
    items: tuple[Item, ...]
    cap: float | None = None
    bonus: bool = False

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_zh

    @property
    def worth(self) -> float:
        raw = sum(i.points for i in self.items)
        return min(raw, self.cap) if self.cap is not None else raw


@dataclass(frozen=True)
class Scheme:
    code: str
    title_zh: str
    title_en: str
    source: str
    applies_to: tuple[str, ...]
    mode: str
    groups: tuple[Group, ...]
    max: float | None = None
    pass_mark: float | None = None
    items: dict = field(default_factory=dict, compare=False)

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_zh

    @property
    def per_enterprise(self) -> bool:
        return self.applies_to == ("enterprise",)

    def item(self, code: str) -> Item | None:
        return self.items.get(code)


def _text(raw: dict, key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SchemeError(f"{where}: '{key}' is missing")
    return value.strip()


def build(raw: dict, name: str, known_metrics: set[str]) -> Scheme:
    code = _text(raw, "code", name)
    mode = raw.get("mode", "points")
    if mode not in MODES:
        raise SchemeError(f"{name}: mode must be one of {', '.join(MODES)}")
    applies = tuple(raw.get("applies_to") or ())
    if not applies or any(a not in APPLIES for a in applies):
        raise SchemeError(f"{name}: applies_to must list some of {', '.join(APPLIES)}")
    groups, seen = [], {}
    for g_raw in raw.get("groups") or []:
        gcode = _text(g_raw, "code", f"{name}, a group")
        items = []
        for i_raw in g_raw.get("items") or []:
            where = f"{name}, group {gcode}, item {i_raw.get('code', '?')}"
            icode = _text(i_raw, "code", where)
            if icode in seen:
                raise SchemeError(f"{where}: item code {icode} is used twice")
            has_rule, manual = "rule" in i_raw, bool(i_raw.get("manual"))
            if has_rule == manual:
                raise SchemeError(f"{where}: give either a rule or manual = true")
            if has_rule and not isinstance(i_raw["rule"], str):
                raise SchemeError(f"{where}: rule must be text")
            points = i_raw.get("points", 0)
            if mode == "points" and (not isinstance(points, (int, float)) or points <= 0):
                raise SchemeError(f"{where}: points must be a positive number")
            try:
                rule = parse(i_raw["rule"], known_metrics | {DECLARED}) if has_rule else None
            except RuleError as exc:
                raise SchemeError(f"{where}: {exc}") from exc
            facts = i_raw.get("facts", [])
            if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
                raise SchemeError(f"{where}: facts must be a list of metric names")
            unknown = sorted(set(facts) - known_metrics)
            if unknown:
                raise SchemeError(f"{where}: unknown metric {', '.join(unknown)} in facts")
            notes = [i_raw.get(key, "") for key in ("note_zh", "note_en")]
            if not all(isinstance(n, str) for n in notes) or bool(notes[0].strip()) != bool(notes[1].strip()):
                raise SchemeError(f"{where}: give both note_zh and note_en, as text")
            optional = bool(i_raw.get("optional"))
            if optional and mode != "criteria":
                raise SchemeError(f"{where}: only a criteria scheme has optional items (points schemes: bonus groups)")
            item = Item(icode, _text(i_raw, "title_zh", where), _text(i_raw, "title_en", where), float(points or 0),
                        rule, manual or (rule is not None and DECLARED in rule.names), tuple(facts),
                        notes[0].strip(), notes[1].strip(), optional)
            seen[icode] = item
            items.append(item)
        if not items:
            raise SchemeError(f"{name}, group {gcode}: no items")
        cap = g_raw.get("cap")
        groups.append(Group(gcode, _text(g_raw, "title_zh", name), _text(g_raw, "title_en", name), tuple(items),
                            float(cap) if cap is not None else None, bool(g_raw.get("bonus"))))
    if not groups:
        raise SchemeError(f"{name}: no groups")
    if all(i.optional for i in seen.values()):
        raise SchemeError(f"{name}: every item is optional")
    maximum, pass_mark = raw.get("max"), raw.get("pass_mark")
    if mode == "points":
        if not isinstance(maximum, (int, float)):
            raise SchemeError(f"{name}: a points scheme needs 'max'")
        worth = sum(g.worth for g in groups if not g.bonus)
        if worth != maximum:
            raise SchemeError(f"{name}: the groups are worth {worth:g}, not max = {maximum:g}")
        if pass_mark is not None and not 0 < pass_mark <= maximum:
            raise SchemeError(f"{name}: pass_mark must be between 0 and max")
    return Scheme(code, _text(raw, "title_zh", name), _text(raw, "title_en", name), raw.get("source", ""), applies,
                  mode, tuple(groups), float(maximum) if maximum is not None else None,
                  float(pass_mark) if pass_mark is not None else None, seen)


def load_all(directory: Path | None = None) -> dict[str, Scheme]:
    from tenants.metrics.service import ENTERPRISE_METRICS, TENANT_METRICS

    directory = directory or DATA
    schemes = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SchemeError(f"{path.name}: not valid TOML ({exc})") from exc
        applies = tuple(raw.get("applies_to") or ())
        known = set(ENTERPRISE_METRICS) if applies == ("enterprise",) else set(TENANT_METRICS)
        scheme = build(raw, path.name, known)
        if scheme.code in schemes:
            raise SchemeError(f"{path.name}: scheme code {scheme.code} is used twice")
        if scheme.code != path.stem:
            raise SchemeError(f"{path.name}: the code must match the file name ({path.stem})")
        schemes[scheme.code] = scheme
    return schemes
