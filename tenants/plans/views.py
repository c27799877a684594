"""Annual work plan pages: edit the plan (XC-3 targets, free targets, narrative), live progress,
copy last year's plan, .xlsx export."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _

from saas import files, xlsx
from saas.auth.permissions import permission_required
from saas.extensions import db
from saas.jobs import QueueUnavailable
from saas.templating import locale_code
from saas.tenancy import tenant_blueprint
from tenants.metrics.service import tenant_metrics
from tenants.schemes.standards import standard_of
from tenants.training.coverage import Period

from .forms import PlanForm
from .models import AnnualPlan, PlanTarget
from .services import TARGET_MAX, TRACKABLE, XC_TARGETS, YEARS, copy_from, plan_for, progress
from .tasks import plan_pdf

bp = tenant_blueprint("plans", __name__, "/plans")
XC_FIELDS = tuple(field for field, *_rest in XC_TARGETS)


def _year(year: int) -> int:
    if year not in YEARS:
        abort(404)
    return year


@bp.route("/")
@permission_required("plans.view")
def index():
    return redirect(url_for("plans.show", year=date.today().year))


@bp.route("/<int:year>")
@permission_required("plans.view")
def show(year):
    plan = plan_for(_year(year))
    rows = progress(plan, tenant_metrics(Period.year(year))) if plan else []
    return render_template("plans/show.html", plan=plan, year=year, rows=rows, previous=plan_for(year - 1),
                           years=YEARS)


def _targets_from_form() -> list[PlanTarget]:
    targets = []
    for name, unit, target, metric in zip(request.form.getlist("t_name"), request.form.getlist("t_unit"),
                                          request.form.getlist("t_target"), request.form.getlist("t_metric")):
        name = name.strip()[:200]
        if not name:
            continue
        try:
            value = float(target)
        except ValueError:
            raise ValueError(_("The target of “%(name)s” is not a number.", name=name))
        if not 0 <= value <= TARGET_MAX:  # also refuses "nan" and "inf", which float() reads
            raise ValueError(_("The target of “%(name)s” must be a number from 0 to %(max)d.", name=name,
                               max=TARGET_MAX))
        targets.append(PlanTarget(name=name, unit=unit.strip()[:40], target=value,
                                  metric=metric if metric in TRACKABLE else ""))
    return targets


def _form(plan: AnnualPlan | None) -> tuple[PlanForm, tuple[str, ...]]:
    """The plan form with the targets the tenant's set of standards asks for (XC-3's four in
    Xicheng, none elsewhere): a target the set does not ask for is neither shown nor written."""
    form = PlanForm(obj=plan)
    asked = standard_of(g.tenant).plan_targets
    for field in XC_FIELDS:
        if field not in asked:
            delattr(form, field)
    return form, asked


@bp.route("/<int:year>/edit", methods=["GET", "POST"])
@permission_required("plans.manage")
def edit(year):
    plan = plan_for(_year(year))
    form, asked = _form(plan)
    page = dict(form=form, plan=plan, year=year, trackable=TRACKABLE, asked=asked)
    if form.validate_on_submit():
        try:
            targets = _targets_from_form()
        except ValueError as exc:
            flash(str(exc), "danger")
            return render_template("plans/edit.html", **page), 422
        plan = plan or AnnualPlan(year=year)
        for field in ("key_tasks", "budget", "schedule", *asked):
            value = getattr(form, field).data
            # Ratios are Decimals in the form, floats in the column.
            setattr(plan, field, float(value) if field.endswith("ratio_target") and value is not None else value)
        plan.targets = targets
        db.session.add(plan)
        db.session.commit()
        flash(_("Plan saved."), "success")
        return redirect(url_for("plans.show", year=year))
    return render_template("plans/edit.html", **page)


@bp.route("/<int:year>/copy", methods=["POST"])
@permission_required("plans.manage")
def copy(year):
    if plan_for(_year(year)) is not None:
        flash(_("There is already a plan for %(year)d.", year=year), "warning")
    elif plan_for(year - 1) is None:
        flash(_("There is no plan for %(year)d to copy.", year=year - 1), "warning")
        return redirect(url_for("plans.show", year=year))
    else:
        copy_from(year)
        db.session.commit()
        flash(_("Last year's plan copied; adjust the targets."), "success")
    return redirect(url_for("plans.edit", year=year))


@bp.route("/<int:year>/export.xlsx")
@permission_required("plans.view")
def export(year):
    plan = plan_for(_year(year))
    if plan is None:
        abort(404)
    book = xlsx.Book()
    ws = book.sheet(_("Annual work plan"))
    xlsx.append(ws, [_("%(tenant)s — annual work plan %(year)d", tenant=g.tenant.name, year=year),
                     _("Exported %(time)s", time=f"{datetime.now():%Y-%m-%d %H:%M}")])
    xlsx.append(ws, [_("Target"), _("Unit"), _("Target value"), _("Actual"), _("Reached")])
    for row in progress(plan, tenant_metrics(Period.year(year))):
        xlsx.append(ws, [row.name, row.unit, row.target, row.actual, _("yes") if row.reached else _("no")])
    xlsx.append(ws, [])
    for label, text in ((_("Key tasks"), plan.key_tasks), (_("Budget"), plan.budget), (_("Schedule"), plan.schedule)):
        xlsx.append(ws, [label, text])
    return files.download(book.to_bytes(), _("work-plan") + f"-{year}.xlsx")


@bp.route("/<int:year>/export.pdf", methods=["POST"])
@permission_required("plans.view")
def export_pdf(year):
    """The plan as a PDF, made by a background job (wkhtmltopdf) with a download when done."""
    if plan_for(_year(year)) is None:
        abort(404)
    try:
        record = plan_pdf.enqueue(year, locale_code(), key=f"plan-pdf:{year}", user_id=current_user.id)
    except QueueUnavailable:
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return redirect(url_for("plans.show", year=year))
    return redirect(url_for("jobs.show", job_id=record.id))
