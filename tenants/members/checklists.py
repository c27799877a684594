"""The checklists every member enterprise keeps (TJ-2, TJ-4, WH-1), as data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATES = ("not_started", "in_progress", "in_place")
STATE_LABELS = {"not_started": _l("Not started"), "in_progress": _l("In progress"), "in_place": _l("In place")}

# group code → (title, [(item code, title)])
GROUPS = {
    "five": (_l("Five implementations (五落实)"), [
        ("organisation", _l("Organisation (机构)")),
        ("personnel", _l("Personnel (人员)")),
        ("premises", _l("Premises (场所)")),
        ("rules", _l("Rules (制度)")),
        ("measures", _l("Protective measures (保护措施)")),
    ]),
    "three": (_l("Three defences in place (三到位)"), [
        ("people", _l("People (人防)")),
        ("technical", _l("Technical (技防)")),
        ("physical", _l("Physical (物防)")),
    ]),
    "ruleset": (_l("Rule set"), [
        ("confidentiality_agreements", _l("Confidentiality agreements")),
        ("ledger", _l("Trade secret ledger")),
        ("tiered_management", _l("Tiered secret management")),
        ("external_contacts", _l("Confidentiality in external contacts")),
        ("staff_training", _l("Periodic staff training")),
        ("publicity", _l("Publicity")),
        ("leak_emergency_plan", _l("Leak emergency plan")),
        ("rewards_penalties", _l("Reward and penalty rules")),
        # The enterprise's own yearly plan of training, publicity and exchange (CQ-1 item 4,
        # WH-1 item 3, XC-3 "编制年度计划"): not the base's AnnualPlan.
        ("annual_plan", _l("Annual plan for training, publicity and exchange")),
    ]),
}
ITEMS = [f"{group}.{code}" for group, (_title, items) in GROUPS.items() for code, _t in items]
ITEM_TITLES = {f"{group}.{code}": title for group, (_g, items) in GROUPS.items() for code, title in items}
# "Complete" on the roster means the five implementations and three defences are all in place.
CORE_ITEMS = [i for i in ITEMS if i.startswith(("five.", "three."))]
RULES_ITEM = "five.rules"  # XC-3 / TJ-3: the member "has protection rules"
LEAK_PLAN_ITEM = "ruleset.leak_emergency_plan"  # XC-3: a zone guides its members to a leak emergency procedure


def progress(states: dict[str, str]) -> dict:
    """An enterprise's checklist figures from its items' states: `core` is the roster's x/8 (the
    five implementations and three defences in place, queries.core_done in SQL), `all` every item.
    The enterprise's page shows both, so the figure a member sees is the one on the roster."""
    core = sum(1 for code in CORE_ITEMS if states.get(code) == "in_place")
    every = sum(1 for code in ITEMS if states.get(code) == "in_place")
    return {"core_done": core, "core_total": len(CORE_ITEMS), "done": every, "total": len(ITEMS)}
