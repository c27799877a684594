"""Assessment schemes as data: every shipped scheme checked against its source document (CQ-1,
CQ-2, WH-1, WH-2, TJ-1, XC-3), the scoring rules (group caps, the bonus cap, the pass mark, the
WH-2 "more than 50 % or at least 30" boundary), safe rule expressions and the start-up
validation of scheme files.

The pages, declarations, snapshots, plan and dashboard are in test_readiness.py.
"""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import pytest

import tenants.schemes as schemes_pkg
from saas import ConfigError, create_app
from tenants.metrics.service import ENTERPRISE_METRICS, TENANT_METRICS
from tenants.schemes import loader
from tenants.schemes.loader import SchemeError, build, load_all
from tenants.schemes.rules import RuleError, parse
from tenants.schemes.scoring import MET, NEEDS_EVIDENCE, NOT_MET, OVERRIDDEN, UNDECLARED, evaluate

from .conftest import TEST_CONFIG


@pytest.fixture
def schemes(app):
    """The schemes the running app loaded at start-up."""
    return app.extensions["schemes"]


def items_of(scheme) -> list[tuple[str, float]]:
    return [(i.code, i.points) for g in scheme.groups for i in g.items]


def status(result, code) -> str:
    return next(r.status for g in result.groups for r in g.items if r.item.code == code)


def item_result(result, code):
    return next(r for g in result.groups for r in g.items if r.item.code == code)


def group_score(result, code) -> tuple[float, float]:
    g = next(g for g in result.groups if g.group.code == code)
    return g.raw, g.score


def declared(met=True, override=None):
    """A Declaration-like object for scoring.evaluate."""
    return SimpleNamespace(met=met, override_points=override, note="", override_note="")


EVIDENCE = [SimpleNamespace(id=1, filename="证明.pdf")]

# Every enterprise metric in place: the six CQ-1 items are all met.
ALL_MET = {**{m: True for m in ENTERPRISE_METRICS}, "visits_in_year": 2, "fixed_instructor_visits": 2,
           "trainings_in_year": 1, "incidents_caused": 0, "incidents_suffered": 0, "all_staff_trained": False,
           "has_liaison": True}


# --- 1. shipped schemes against the source documents ---------------------------------------------

def test_the_shipped_schemes(schemes):
    assert sorted(schemes) == ["cq-enterprise", "cq-park", "tj-base", "wh-enterprise", "wh-station", "xc-point",
                               "xc-zone"]
    # load_all() from the package data gives the same schemes the app validated at start-up.
    assert sorted(load_all()) == sorted(schemes)


def test_cq_park_matches_the_chongqing_park_standard(schemes):
    """CQ-2 (附件2 二、园区创建标准): 17 items in five groups worth 25/25/20/15/15."""
    s = schemes["cq-park"]
    assert (s.mode, s.max, s.source) == ("points", 100, "CQ-2")
    assert set(s.applies_to) == {"park", "association"}
    assert [(g.code, g.cap, g.bonus) for g in s.groups] == [
        ("platform", 25, False), ("station", 25, False), ("instructors", 20, False), ("units", 15, False),
        ("standards", 15, False)]
    assert [[i.code for i in g.items] for g in s.groups] == [
        ["1", "2", "3", "4"], ["5", "6", "7", "8", "9"], ["10", "11", "12", "13"], ["14", "15"], ["16", "17"]]
    assert items_of(s) == [(str(n), p) for n, p in zip(range(1, 18),
                                                      [10] * 4 + [5] * 5 + [5] * 4 + [5, 10] + [10, 5])]
    assert len(s.items) == 17
    # The platform items add up to 40, the group is worth 25; the whole standard is worth 100.
    platform = s.groups[0]
    assert sum(i.points for i in platform.items) == 40 and platform.worth == 25
    assert [g.worth for g in s.groups] == [25, 25, 20, 15, 15]
    assert sum(g.worth for g in s.groups) == 100
    # Titles follow the document.
    assert "领导小组" in s.item("1").title_zh
    assert "经费" in s.item("4").title_zh
    assert "不低于5家" in s.item("15").title_zh
    assert "联系制度" in s.item("14").title_zh
    assert "标准体系" in s.item("16").title_zh
    # Item 15 is "at least 5 demonstration units".
    assert s.item("15").rule({"demonstration_units": 5})
    assert not s.item("15").rule({"demonstration_units": 4})


def test_cq_enterprise_matches_the_chongqing_enterprise_standard(schemes):
    """CQ-1: six items 15/10/10/25/20/20, bonus items, capped at 100, 80 passes."""
    s = schemes["cq-enterprise"]
    assert (s.mode, s.max, s.pass_mark, s.applies_to, s.source) == ("points", 100, 80, ("enterprise",), "CQ-1")
    assert s.per_enterprise
    standard, bonus = s.groups
    assert not standard.bonus and bonus.bonus
    assert [(i.code, i.points) for i in standard.items] == [("1", 15), ("2", 10), ("3", 10), ("4", 25), ("5", 20),
                                                            ("6", 20)]
    assert standard.worth == 100
    # The document's six bonus situations (可酌情加分), 5 points each by this product's choice.
    assert [(i.code, i.points) for i in bonus.items] == [(f"b{n}", 5) for n in range(1, 7)]
    assert "受训全覆盖" in s.item("b3").title_zh
    # Activities: guidance by its fixed instructor at least twice and training at least once a year
    # (visits by any instructor no longer count: see test_schemes_faithful.py).
    rule = s.item("5").rule
    assert rule({"fixed_instructor_visits": 2, "trainings_in_year": 1})
    assert not rule({"fixed_instructor_visits": 1, "visits_in_year": 5, "trainings_in_year": 5})
    assert not rule({"fixed_instructor_visits": 2, "trainings_in_year": 0})
    # Exemplary role: not infringed or successfully defended (declared), and no infringement of
    # others (an unknown survey answer does not count as none).
    rule = s.item("6").rule
    clean = {"five.measures": True, "incidents_caused": 0, "incidents_suffered": 0}
    assert rule(clean)
    assert not rule({**clean, "incidents_suffered": 1})
    assert rule({**clean, "incidents_suffered": 1, "declared": True})
    assert not rule({**clean, "incidents_caused": 1, "declared": True})
    assert not rule({**clean, "incidents_caused": None})


@pytest.mark.parametrize("code, source_tag, applies, count, required", [
    ("wh-station", "WH-2", {"park", "association", "station"}, 10, 10),
    ("wh-enterprise", "WH-1", {"enterprise"}, 5, 5),
    # TJ's seven 建设要求; the expert team (6) is one a base "may" form.
    ("tj-base", "TJ-1", {"park", "association"}, 7, 6),
    ("xc-zone", "XC-3", {"park", "association"}, 5, 5),
    ("xc-point", "XC-3", {"enterprise"}, 5, 5),
])
def test_criteria_schemes(schemes, code, source_tag, applies, count, required):
    s = schemes[code]
    assert s.mode == "criteria"
    assert s.max is None and s.pass_mark is None
    assert source_tag in s.source
    assert set(s.applies_to) == applies
    assert len(s.items) == count == sum(len(g.items) for g in s.groups)
    # Criteria: passed only when every required criterion holds; the "maximum" is their number.
    nothing = evaluate(s, {})
    assert nothing.passed is False and nothing.maximum == required and nothing.total == 0


def test_criteria_thresholds_follow_the_documents(schemes):
    wh = schemes["wh-station"]
    assert wh.item("2").rule({"max_experienced_staff": 2}) and not wh.item("2").rule({"max_experienced_staff": 1})
    assert wh.item("9").rule({"demonstration_units": 2}) and not wh.item("9").rule({"demonstration_units": 1})
    # WH-2: more than 30 % of served enterprises, or at least 10, carry out protection work.
    r8 = wh.item("8").rule
    assert not r8({"protection_work_ratio": 0.3, "protection_work_members": 9})
    assert r8({"protection_work_ratio": 0.31, "protection_work_members": 3})
    assert r8({"protection_work_ratio": 0.1, "protection_work_members": 10})
    tj = schemes["tj-base"]
    assert tj.item("7").rule({"members_with_liaison": 5, "five_three_members": 1})
    assert not tj.item("7").rule({"members_with_liaison": 4, "five_three_members": 1})
    assert schemes["xc-zone"].item("4").rule.names == {"plan_has_xc_targets"}
    assert schemes["wh-enterprise"].item("5").rule({"incidents_caused": 0})
    assert not schemes["wh-enterprise"].item("5").rule({"incidents_caused": 2})


# --- 2. group cap, bonus cap, pass mark -----------------------------------------------------------

def test_group_cap_applies(schemes):
    s = schemes["cq-park"]
    declarations = {c: declared() for c in ("1", "2", "3", "4")}
    result = evaluate(s, {}, declarations, {c: EVIDENCE for c in declarations})
    assert [status(result, c) for c in ("1", "2", "3", "4")] == [MET] * 4
    assert group_score(result, "platform") == (40, 25)
    assert result.total == 25


def test_bonus_cannot_push_the_total_over_100(schemes):
    s = schemes["cq-enterprise"]
    bonus = {c: declared() for c in ("b1", "b2", "b4", "b5", "b6")}
    result = evaluate(s, {**ALL_MET, "all_staff_trained": True}, bonus, {c: EVIDENCE for c in bonus})
    assert group_score(result, "standard") == (100, 100)
    assert group_score(result, "bonus") == (30, 30)
    assert result.total == 100
    assert result.passed is True


def test_79_fails_and_80_passes(schemes):
    """Items 2, 4, 5 and 6 met (10 + 25 + 20 + 20 = 75) plus bonus points."""
    s = schemes["cq-enterprise"]
    metrics = {**ALL_MET, "five.organisation": False, "five.premises": False}
    base = evaluate(s, metrics)
    assert [status(base, c) for c in ("1", "2", "3", "4", "5", "6")] == [NOT_MET, MET, NOT_MET, MET, MET, MET]
    assert (base.total, base.passed) == (75, False)

    # A reviewer gives bonus item b1 4 of its 5 points: 79 fails.
    seventy_nine = evaluate(s, metrics, {"b1": declared(override=4)})
    assert status(seventy_nine, "b1") == OVERRIDDEN
    assert (seventy_nine.total, seventy_nine.passed) == (79, False)

    # b1 declared met with evidence: 80 passes.
    eighty = evaluate(s, metrics, {"b1": declared()}, {"b1": EVIDENCE})
    assert status(eighty, "b1") == MET
    assert (eighty.total, eighty.passed) == (80, True)

    # The automatic bonus item (all employees trained) is worth 5 too.
    automatic = evaluate(s, {**metrics, "all_staff_trained": True})
    assert (automatic.total, automatic.passed) == (80, True)


def test_manual_items_count_only_with_evidence(schemes):
    s = schemes["cq-park"]
    result = evaluate(s, {}, {"1": declared(), "2": declared(met=False), "3": declared()}, {"3": EVIDENCE})
    assert [(status(result, c), item_result(result, c).points) for c in ("1", "2", "3", "4")] == [
        (NEEDS_EVIDENCE, 0), (UNDECLARED, 0), (MET, 10), (UNDECLARED, 0)]
    # A reviewer's override replaces the points, never above the item's worth.
    result = evaluate(s, {}, {"1": declared(override=7), "4": declared(met=False, override=25)})
    assert (status(result, "1"), item_result(result, "1").points) == (OVERRIDDEN, 7)
    assert item_result(result, "4").points == 10


# --- 3. WH-2: more than 50 %, or at least 30 ------------------------------------------------------

@pytest.mark.parametrize("ratio, trained, met", [
    (0.5, 10, False),    # exactly 50 % is not "more than 50 %"
    (0.501, 10, True),   # 50.1 %
    (0.3, 30, True),     # 30 enterprises (30 of 100), whatever the ratio
    (0.29, 29, False),   # 29 of 100
    (0.5, 29, False),    # 29 of 58
    (29 / 57, 29, True),  # 29 of 57
])
def test_wh2_training_boundary(schemes, ratio, trained, met):
    metrics = {"served_trained_enterprises": trained, "served_trained_ratio": ratio}
    s = schemes["wh-station"]
    result = evaluate(s, metrics)
    assert status(result, "7") == (MET if met else NOT_MET)
    assert s.item("7").rule(metrics) is met
    if met:
        assert item_result(result, "7").shortfalls == []
    else:
        # Both ways of meeting it are shown as missing; 30 is "n more" away, the ratio has no gap.
        shortfalls = {f.metric: f for f in item_result(result, "7").shortfalls}
        assert set(shortfalls) == {"served_trained_ratio", "served_trained_enterprises"}
        assert shortfalls["served_trained_enterprises"].gap == 30 - trained
        assert shortfalls["served_trained_ratio"].gap is None


def test_wh2_rule_parsed_directly():
    rule = parse("trained_enterprise_ratio > 0.5 or trained_enterprises >= 30", set(TENANT_METRICS))
    assert rule.names == {"trained_enterprise_ratio", "trained_enterprises"}
    assert not rule({"trained_enterprise_ratio": 0.5, "trained_enterprises": 10})
    assert rule({"trained_enterprise_ratio": 0.501, "trained_enterprises": 10})
    assert rule({"trained_enterprise_ratio": 0.3, "trained_enterprises": 30})
    assert not rule({"trained_enterprise_ratio": 0.29, "trained_enterprises": 29})
    # No members: the ratio is unknown (None) and does not count as met.
    assert not rule({"trained_enterprise_ratio": None, "trained_enterprises": 0})


# --- rules are parsed, never evaluated as Python --------------------------------------------------

@pytest.mark.parametrize("source", [
    "__import__('os')",
    "__import__('os').system('true')",
    "open('/etc/passwd')",
    "(lambda: 1)()",
    "demonstration_units.__class__()",
    "[x for x in demonstration_units]",
    "demonstration_units + 1 >= 5",
    "'a' == 'a'",
    "True",
    "demonstration_units if stations else visits",
    "demonstration_units in (1, 2)",
])
def test_unsafe_or_unsupported_rules_are_refused(source):
    with pytest.raises(RuleError):
        parse(source, set(TENANT_METRICS))


def test_attribute_names_are_metric_names_not_python_attributes():
    # "five.rules" names a metric; nothing is looked up on Python objects.
    with pytest.raises(RuleError, match="unknown metric five.rules.__class__"):
        parse("five.rules.__class__", set(ENTERPRISE_METRICS))
    rule = parse("five.rules and ruleset.leak_emergency_plan", set(ENTERPRISE_METRICS))
    assert rule({"five.rules": True, "ruleset.leak_emergency_plan": True})
    assert not rule({"five.rules": True})
    assert not parse("five.rules", set(ENTERPRISE_METRICS))({"five": SimpleNamespace(rules=True)})


# --- 6. scheme file validation ----------------------------------------------------------------------

GOOD = """\
code = "{code}"
title_zh = "测试标准"
title_en = "Test standard"
source = "CQ-2"
applies_to = ["park"]
mode = "points"
max = 100

[[groups]]
code = "one"
title_zh = "第一组"
title_en = "Group one"
cap = 60
items = [
  {{ code = "1", points = 40, rule = "demonstration_units >= 5", title_zh = "示范单位", title_en = "Units" }},
  {{ code = "2", points = 40, manual = true, title_zh = "领导小组", title_en = "Leading group" }},
]

[[groups]]
code = "two"
title_zh = "第二组"
title_en = "Group two"
items = [
  {{ code = "3", points = 40, rule = "stations >= 1", title_zh = "指导站", title_en = "Station" }},
]
"""


def write(directory, name, text):
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def good(code="test"):
    return GOOD.format(code=code)


def refused(tmp_path, text, name="test.toml") -> str:
    write(tmp_path, name, text)
    with pytest.raises(SchemeError) as info:
        load_all(tmp_path)
    message = str(info.value)
    assert name in message, message
    assert "\n" not in message
    return message


def test_a_good_file_loads(tmp_path):
    write(tmp_path, "test.toml", good())
    scheme = load_all(tmp_path)["test"]
    assert [(g.code, g.worth) for g in scheme.groups] == [("one", 60), ("two", 40)]
    assert scheme.item("2").manual and scheme.item("1").rule.names == {"demonstration_units"}


def test_unknown_metric_is_refused(tmp_path):
    message = refused(tmp_path, good().replace("demonstration_units >= 5", "demonstration_unit >= 5"))
    assert "unknown metric demonstration_unit" in message
    assert "item 1" in message


def test_enterprise_schemes_know_only_enterprise_metrics(tmp_path):
    text = good().replace('applies_to = ["park"]', 'applies_to = ["enterprise"]')
    message = refused(tmp_path, text)
    assert "unknown metric demonstration_units" in message


def test_rule_and_manual_together_are_refused(tmp_path):
    text = good().replace('points = 40, manual = true,', 'points = 40, manual = true, rule = "stations >= 1",')
    message = refused(tmp_path, text)
    assert "either a rule or manual" in message and "item 2" in message


def test_neither_rule_nor_manual_is_refused(tmp_path):
    message = refused(tmp_path, good().replace('points = 40, manual = true,', 'points = 40,'))
    assert "either a rule or manual" in message and "item 2" in message


def test_missing_titles_are_refused(tmp_path):
    message = refused(tmp_path, good().replace('title_en = "Test standard"\n', ""))
    assert "'title_en' is missing" in message
    message = refused(tmp_path, good().replace('title_zh = "指导站", ', ""))
    assert "'title_zh' is missing" in message and "item 3" in message


def test_groups_must_be_worth_max(tmp_path):
    # Group one capped at 55 instead of 60: the groups are worth 95.
    message = refused(tmp_path, good().replace("cap = 60", "cap = 55"))
    assert "worth 95" in message and "max = 100" in message


def test_a_function_call_in_a_rule_is_refused(tmp_path):
    message = refused(tmp_path, good().replace("stations >= 1", "__import__('os')"))
    assert "only metric names, numbers, comparisons" in message and "item 3" in message


def test_code_must_match_the_file_name(tmp_path):
    message = refused(tmp_path, good(code="other"))
    assert "must match the file name" in message


def test_invalid_toml_is_refused(tmp_path):
    message = refused(tmp_path, good().replace('code = "one"', 'code = "one'))
    assert "not valid TOML" in message


def test_a_rule_that_is_not_text_is_refused(tmp_path):
    """A number instead of a rule string must be a SchemeError naming the file, not a TypeError."""
    message = refused(tmp_path, good().replace('rule = "stations >= 1"', "rule = 5"))
    assert "item 3" in message


def test_item_codes_are_unique_and_points_positive(tmp_path):
    message = refused(tmp_path, good().replace('{ code = "3"', '{ code = "1"'))
    assert "used twice" in message
    message = refused(tmp_path, good().replace("points = 40, rule = \"stations", "points = 0, rule = \"stations"))
    assert "points must be a positive number" in message


def test_build_names_the_file(app):
    with pytest.raises(SchemeError, match=r"^x\.toml: a points scheme needs 'max'$"):
        build({"code": "x", "title_zh": "x", "title_en": "x", "applies_to": ["park"],
               "groups": [{"code": "g", "title_zh": "g", "title_en": "g",
                           "items": [{"code": "1", "points": 5, "manual": True, "title_zh": "t", "title_en": "t"}]}]},
              "x.toml", set(TENANT_METRICS))


def test_the_app_does_not_start_with_a_bad_scheme_file(tmp_path, monkeypatch):
    write(tmp_path, "test.toml", good().replace("stations >= 1", "stationz >= 1"))
    monkeypatch.setattr(schemes_pkg, "load_all", lambda: loader.load_all(tmp_path))
    with pytest.raises(ConfigError) as info:
        create_app(TEST_CONFIG)
    message = str(info.value)
    assert "test.toml" in message and "unknown metric stationz" in message and "\n" not in message
