"""Demo periodic reports for `flask demo seed` (idempotent: looked up by type and year).

The Chongqing park submitted this year's half-year progress report (CQ-4) on 12 June and the
Liangjiang bureau accepted it; its year-end progress report, due 15 December, is a draft. Any
other base whose standards ask for a report gets last year's as a draft.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.schemes.standards import standard_of

from .models import PeriodicReport, ReportEvent, ReportVersion
from .services import build, start

HALF_YEAR_TEXT = {
    "progress": "上半年，园区按照创新试点工作方案推进商业秘密保护工作：完善会员企业联络员制度，"
                "组织商业秘密保护专题培训和普法宣传活动，指导站为企业提供咨询、风险排查和维权援助服务，"
                "一家企业通过示范单位认定。",
    "measures": "一是建立“指导员+联络员”双线联系机制；二是在数字经济企业中开展涉密岗位分级管理试点；"
                "三是与区法院、公安分局建立案件移送和信息通报机制。",
    "problems": "部分中小企业保密协议签订率仍偏低，竞业限制协议执行不到位；建议市局组织区县间经验交流。",
    "next_steps": "下半年将开展“商业秘密保护进企业”宣传月活动，完成全部会员企业的年度走访，"
                  "培育两家新的示范企业，并于12月15日前报送年终工作推进情况。",
}


def _chongqing(tenant: Tenant) -> None:
    year = date.today().year
    reviewer = User.by_email("cq-reviewer@demo.example")
    admin = User.by_email("cq-admin@demo.example")
    with force_locale("zh_CN"):
        report = start(tenant, "cq_half_year", year)
        if report.version == 0:
            report.sections = dict(HALF_YEAR_TEXT)
            db.session.flush()
            submitted, decided = datetime(year, 6, 12, 9, 30), datetime(year, 6, 20, 15, 0)
            data = build(report, tenant)
            data.update(version=1, submitted_at=submitted.strftime("%Y-%m-%d %H:%M"),
                        submitted_by=admin.name if admin else "")
            report.snapshot, report.version, report.status = data, 1, "accepted"
            report.submitted_at = report.first_submitted_at = submitted
            report.submitted_by_id = admin.id if admin else None
            report.decided_at, report.decided_by_id = decided, reviewer.id if reviewer else None
            report.bureau_comment = "工作推进情况清楚，数据翔实，同意。请在年终报告中补充典型案例。"
            db.session.add_all([
                ReportVersion(report_id=report.id, version=1, snapshot=data, created_at=submitted),
                ReportEvent(report_id=report.id, from_status="draft", to_status="submitted",
                            user_id=report.submitted_by_id, created_at=submitted),
                ReportEvent(report_id=report.id, from_status="submitted", to_status="accepted",
                            user_id=report.decided_by_id, comment=report.bureau_comment, created_at=decided)])
        start(tenant, "cq_year_end", year)  # a draft, due 15 December


def seed(password: str) -> list[str]:
    tenants = db.session.scalars(sa.select(Tenant).where(Tenant.status == "active").order_by(Tenant.id)).all()
    with current_app.test_request_context():
        for tenant in tenants:
            kinds = standard_of(tenant).reports
            if not kinds or not standard_of(tenant).code:
                continue
            with tenant_scope(tenant.id):
                if tenant.slug == "cq-liangjiang":
                    _chongqing(tenant)
                elif db.session.scalar(sa.select(sa.func.count(PeriodicReport.id))) == 0:
                    with force_locale("zh_CN"):
                        start(tenant, kinds[0].key, date.today().year - 1)
                db.session.flush()
    return []
