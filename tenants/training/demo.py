"""Demo training events with attendance for `flask demo seed` (idempotent)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.members.models import Enterprise

from .models import Attendance, TrainingEvent

EVENTS = [
    # month, title, kind, organiser, hours
    (3, "商业秘密保护法律法规专题培训", "training", "base", 3),
    (4, "“4·26”知识产权宣传周普法活动", "publicity", "station", 2),
    (5, "生物医药企业技术秘密管理研讨会", "seminar", "base", 4),
    (6, "区市场监管局商业秘密保护政策宣讲", "briefing", "bureau", 2),
    (9, "赴深圳商业秘密保护示范基地考察学习", "study_visit", "base", 8),
    (10, "《反不正当竞争法》普法进园区", "publicity", "station", 2),
]


def seed(password: str) -> list[str]:
    tenant = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    with tenant_scope(tenant.id):
        if db.session.scalar(sa.select(TrainingEvent.id).limit(1)) is not None:
            return []
        members = db.session.scalars(sa.select(Enterprise).where(Enterprise.status != "withdrawn")
                                     .order_by(Enterprise.id)).all()
        year = date.today().year
        for k, (month, title, kind, organiser, hours) in enumerate(EVENTS):
            held = date(year, month, 12)
            if held > date.today():
                held = date(year - 1, month, 12)
            event = TrainingEvent(title=title, kind=kind, organiser=organiser, held_on=held, hours=hours,
                                  venue="光谷生物城创新中心报告厅", trainer="湖北省知识产权律师协会",
                                  organiser_name="东湖新技术开发区市场监督管理局" if organiser == "bureau" else "")
            # Two thirds of the members come to something; the rest are the "never trained" list.
            event.attendance = [Attendance(enterprise_id=m.id, headcount=3 + (i + k) % 6)
                                for i, m in enumerate(members[: (2 * len(members)) // 3]) if (i + k) % 3 != 2]
            db.session.add(event)
        first = members[0]
        internal = TrainingEvent(title="全员保密意识培训", kind="training", organiser="enterprise",
                                 organiser_enterprise_id=first.id, held_on=date(year, 2, 20), hours=2,
                                 venue="公司会议室", trainer="法务部")
        internal.attendance = [Attendance(enterprise_id=first.id, headcount=first.employees)]
        db.session.add(internal)
        db.session.flush()
    return []
