"""The work plan as a PDF (saas.pdf) in a job."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale, gettext as _

from saas.extensions import db
from saas.jobs import JobFailed, job
from saas.pdf import PdfUnavailable, render_pdf
from saas.tenancy import Tenant, current_tenant_id
from tenants.metrics.service import tenant_metrics
from tenants.training.coverage import Period

from .services import plan_for, progress


@job(queue="documents", timeout=600, retries=1, intervals=(30,), permission="plans.view",
     title=lambda year, *a: _("Annual work plan %(year)s as PDF", year=year),
     back=lambda year, *a: url_for("plans.show", year=year))
def plan_pdf(ctx, year: int, locale: str = "zh_CN"):
    tenant = db.session.get(Tenant, current_tenant_id())
    plan = plan_for(year)
    if plan is None:
        raise JobFailed("no plan")
    with force_locale(locale):
        rows = [{"name": r.name, "unit": r.unit, "target": f"{r.target:g}",
                 "actual": f"{r.actual:g}{r.unit}" if r.actual is not None else "—",
                 "reached": _("yes") if r.reached else _("no")}
                for r in progress(plan, tenant_metrics(Period.year(year)))]
        context = {
            "locale": locale, "tenant": tenant.name, "exported": f"{datetime.now():%Y-%m-%d %H:%M}",
            "title": _("Annual work plan %(year)d", year=year), "rows": rows,
            "labels": {"target": _("Target"), "value": _("Target value"), "actual": _("Actual"), "reached": _("Reached")},
            "sections": [{"title": _("Key tasks"), "text": plan.key_tasks}, {"title": _("Budget"), "text": plan.budget},
                         {"title": _("Schedule"), "text": plan.schedule}],
        }
        ctx.progress(30)
        try:
            pdf = render_pdf("pdf/plan.html", context)
        except PdfUnavailable as exc:
            raise JobFailed(str(exc)) from exc
        filename = _("work-plan") + f"-{year}.pdf"
    relative = Path(str(tenant.id)) / "exports" / f"{uuid.uuid4().hex}.pdf"
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    return {"file": str(relative), "filename": filename}
