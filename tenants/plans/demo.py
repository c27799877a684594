"""Demo annual plan and scheme choice for `flask demo seed` (idempotent)."""

from __future__ import annotations

from datetime import date

from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.schemes.models import SchemeChoice

from .models import AnnualPlan, PlanTarget
from .services import plan_for


def seed(password: str) -> list[str]:
    tenant = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    with tenant_scope(tenant.id):
        if db.session.query(SchemeChoice).count() == 0:
            db.session.add(SchemeChoice(code="wh-station"))  # a Wuhan park: the WH-2 station criteria
        year = date.today().year
        if plan_for(year) is None:
            # Wuhan asks for no plan targets of its own (XC-3's are Xicheng's): the park sets its
            # own, following the WH-2 figures (more than 30 trained, at least 2 demonstration units).
            db.session.add(AnnualPlan(
                year=year, key_tasks="一、完善联系企业名录和联络员制度；二、每季度开展一次专题培训；三、培育 2 家新的示范企业。",
                budget="专项经费 30 万元", schedule="3 月培训；4 月宣传周；6 月中期报告；12 月总结验收",
                targets=[PlanTarget(name="指导站服务次数", unit="次", target=60, metric="service_logs"),
                         PlanTarget(name="受训企业", unit="家", target=30, metric="trained_enterprises"),
                         PlanTarget(name="示范企业", unit="家", target=6, metric="demonstration_units")]))
        db.session.flush()
    return []
