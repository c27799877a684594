"""The tenant's landing page: key figures (each linked to its rows), readiness for the chosen
scheme, plan progress, the year's timeline and charts. A fixed number of SQL statements when
computed; then served from the tenant cache until the tenant's data (or the day) changes."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g, render_template
from flask_login import current_user

from saas.auth.permissions import can, permission_required
from saas.charts import stacked_bars
from saas.extensions import db
from saas.tenancy import tenant_blueprint
from saas.tenant_cache import fragment
from saas.templating import locale_code, whole_page
from tenants.applications.models import Application
from tenants.guidance.forms import KIND_LABELS
from tenants.guidance.services import latest_for
from tenants.metrics.service import tenant_metrics
from tenants.plans.services import plan_for, progress
from tenants.schemes.service import default_scheme, dial, readiness
from tenants.schemes.standards import standard_of, units_required
from tenants.stations.forms import CATEGORY_LABELS
from tenants.stations.models import CATEGORIES
from tenants.stations.services import monthly_counts
from tenants.training.coverage import Period

from .timeline import milestones, next_due
from .todo import base_todo, enterprise_todo, first_run

bp = tenant_blueprint("dashboard", __name__)
KEY_FIGURES = ("active_members", "members_with_liaison", "demonstration_units", "trained_enterprise_ratio",
               "visit_coverage_ratio", "overdue_follow_ups")


@bp.route("/")
@permission_required("tenant.view")
def index():
    today = date.today()
    if g.access.role == "enterprise":
        # An enterprise user's home is its own enterprise; the base's figures are not theirs.
        # Not cached: what this user has read of the base's guidance is theirs alone.
        guidance = latest_for(current_user.id)
        todo = enterprise_todo(g.access.enterprise_id, today, guidance) if g.access.enterprise_id else []
        return render_template("dashboard/enterprise.html", guidance=guidance,
                               guidance_kinds=KIND_LABELS, todo=todo)
    show_links = can("members.list")

    def page():
        # Per role: which figures link to their rows (show_links too) is the role's.
        overview = fragment("dashboard", (g.access.role,), lambda: render_template(
            "dashboard/_overview.html", **_overview(today, show_links)))
        return render_template("dashboard/index.html", overview=overview)

    return whole_page("dashboard", (), page)  # the role, in whole_page's key, is all it varies by


def recognition_line() -> dict | None:
    """The base's recognition as a demonstration base, for the line under its name: there is no
    public page of a base, so the dashboard carries it (certificate, bureau, validity)."""
    row = db.session.scalar(sa.select(Application).where(Application.status.in_(("recognised", "lapsed")))
                            .order_by(Application.recognised_on.desc(), Application.id.desc()).limit(1))
    if row is None:
        return None
    return {"id": row.id, "status": row.status, "certificate_no": row.certificate_no, "issued_by": row.issued_by,
            "recognised_on": row.recognised_on, "valid_until": row.valid_until, "rereview_due": row.rereview_due}


def _overview(today: date, show_links: bool) -> dict:
    """Everything the overview shows: the same for every user of the tenant (but the links)."""
    year = today.year
    metrics = tenant_metrics(Period.year(year), today)
    scheme = default_scheme(g.tenant)
    result = readiness(scheme, year, metrics) if scheme is not None and not scheme.per_enterprise else None
    plan = plan_for(year)
    counts = monthly_counts(year)
    chart = stacked_bars([str(m) for m in range(1, 13)],
                         [(str(CATEGORY_LABELS[c]), [counts[m][c] for m in range(1, 13)]) for c in CATEGORIES])
    items = milestones(year, standard_of(g.tenant))
    upcoming = next_due(items, today)
    # The to-do and the first-run steps read the figures above: no statement of their own.
    steps = first_run(metrics, year) if g.access.role == "admin" else []
    managing = g.access.role in ("admin", "staff")
    todo = base_todo(metrics, year, upcoming, plan=g.access.role != "admin") if managing else []
    return dict(steps=steps, todo=todo, recognition=recognition_line(), metrics=metrics, key_figures=KEY_FIGURES, scheme=scheme, result=result, dial=dial(scheme, result) if result else None, plan=plan,
                units_needed=units_required(scheme),
                rows=progress(plan, metrics) if plan else [], chart=chart, milestones=items,
                next_due=upcoming, today=today, year=year, locale=locale_code(),
                show_links=show_links)
