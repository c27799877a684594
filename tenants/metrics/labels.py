"""Names and formatting of metrics for pages and exports."""

from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

LABELS = {
    "active_members": _l("Active members"), "members_with_liaison": _l("Members with a liaison person"),
    "members_without_liaison": _l("Members without a liaison person"), "demonstration_units": _l("Demonstration units"),
    "adopted_standard_members": _l("Members that adopted the local standard"),
    "members_with_rules": _l("Members with protection rules"), "members_with_rules_ratio": _l("Ratio of members with protection rules"),
    "protection_work_members": _l("Members carrying out protection work"),
    "protection_work_ratio": _l("Ratio of members carrying out protection work"),
    "trained_enterprises": _l("Trained enterprises"), "trained_enterprise_ratio": _l("Trained enterprise ratio"),
    "never_trained": _l("Never trained in this period"), "all_staff_trained_members": _l("All staff trained"),
    "training_events": _l("Training and publicity events"), "publicity_events": _l("Legal publicity events"),
    "training_hours": _l("Training hours"), "visits": _l("Guidance visits"), "visits_per_member": _l("Visits per member"),
    "min_visits_per_member": _l("Fewest visits of a member"), "members_below_visits": _l("Members below 2 visits"),
    "visit_coverage_ratio": _l("Members with at least 2 visits"), "service_logs": _l("Services logged"),
    "service_categories": _l("Kinds of service provided"), "complaints": _l("Complaints received"),
    "guidance_services": _l("Guidance services"), "rights_services": _l("Rights-protection help and mediation"),
    "overdue_follow_ups": _l("Overdue follow-ups"), "stations": _l("Guidance stations"),
    "max_experienced_staff": _l("Experienced staff at the best-staffed station"), "instructors": _l("Instructors"),
    "protection_staff": _l("Protection staff on the ledger"), "team_trainings": _l("Instructor training sessions"),
    "publicity_materials": _l("Publicity materials produced"), "plan_exists": _l("Annual work plan"),
    "plan_has_xc_targets": _l("Plan with the four XC-3 targets"), "has_liaison": _l("Has a liaison person"),
    "visits_in_year": _l("Guidance visits this year"), "trainings_in_year": _l("Trainings this year"),
    "all_staff_trained": _l("All staff trained"), "incidents_caused": _l("Infringements caused (last 2 years)"),
    "incidents_suffered": _l("Infringements suffered (last 2 years)"),
    "members_with_leak_plan": _l("Members with a leak emergency plan"),
    "members_with_leak_plan_ratio": _l("Ratio of members with a leak emergency plan"),
    "five_three_members": _l("Members with the five implementations and three defences all in place"),
    "five_three_ratio": _l("Ratio of members with the five implementations and three defences in place"),
    "served_enterprises": _l("Enterprises served"),
    "served_trained_enterprises": _l("Served enterprises trained (not counting their own internal training)"),
    "served_trained_ratio": _l("Ratio of served enterprises trained"),
    "has_fixed_instructor": _l("Has a fixed instructor"),
    "fixed_instructor_visits": _l("Guidance visits by its fixed instructor this year"),
}


def label(name: str) -> str:
    if name in LABELS:
        return str(LABELS[name])
    if name.startswith("service_logs."):  # one category of the service ledger (cq-park item 7)
        from tenants.stations.forms import CATEGORY_LABELS

        category = name.split(".", 1)[1]
        return _("Services logged (%(category)s)", category=str(CATEGORY_LABELS.get(category, category)))
    from tenants.members.checklists import ITEM_TITLES

    return str(ITEM_TITLES.get(name, name))


def fmt(value, name: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name.endswith("_ratio") and isinstance(value, (int, float)):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def metric_url(name: str, year: int) -> str | None:
    """The page listing the rows behind a metric, for that metric's year; None when there is
    none, or when the current role may not open it (no link that answers 403)."""
    from flask import url_for

    from saas.auth.permissions import can_open

    from .service import LINKS, PERIOD_ARGS

    if name.startswith("service_logs."):  # the ledger filtered to that category
        endpoint, args = "stations.log", {"category": name.split(".", 1)[1]}
    elif name in LINKS:
        endpoint, args = LINKS[name]
    else:
        return None
    if not can_open(endpoint):
        return None
    kind = PERIOD_ARGS.get(endpoint)
    if kind == "year":
        args = {**args, "year": year}
    elif kind == "range":
        args = {**args, "from": f"{year}-01-01", "to": f"{year}-12-31"}
    return url_for(endpoint, **args)


def init_app(app):
    app.jinja_env.filters["metric"] = fmt
    app.jinja_env.globals["metric_label"] = label
    app.jinja_env.globals["metric_url"] = metric_url
