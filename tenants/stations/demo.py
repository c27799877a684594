"""Demo station, staff and a year of service ledger for `flask demo seed` (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.members.models import Enterprise

from .models import CATEGORIES, ServiceLog, Station, StationStaff

SUMMARIES = {"consultation": "咨询保密协议签订要点", "complaint": "受理员工带走技术资料的投诉线索",
             "publicity": "园区政策宣讲会", "risk_monitoring": "研发部门涉密载体抽查",
             "guidance": "指导建立商业秘密台账", "rights_assistance": "协助固定侵权证据",
             "mediation": "调解离职员工竞业纠纷", "other": "其他服务"}


def seed(password: str) -> list[str]:
    tenant = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    with tenant_scope(tenant.id):
        if db.session.scalar(sa.select(Station.id).limit(1)) is not None:
            return []
        station = Station(name="光谷生物城商业秘密保护指导站", address="武汉市东湖新技术开发区高新大道666号",
                          opened_on=date(2023, 5, 26), office="independent", opening_hours="工作日 9:00–17:30",
                          services="政策咨询、侵权投诉受理、风险监测、维权援助、调解")
        db.session.add(station)
        db.session.flush()
        db.session.add_all([
            StationStaff(station_id=station.id, name="李晓梅", position="站长", employment="full_time",
                         experienced=True, training="2024 年省局商业秘密保护业务培训"),
            StationStaff(station_id=station.id, name="黄志远", position="专员", employment="full_time",
                         experienced=True),
            StationStaff(station_id=station.id, name="邓可", position="兼职律师", employment="part_time"),
        ])
        members = db.session.scalars(sa.select(Enterprise.id).where(Enterprise.status != "withdrawn")
                                     .order_by(Enterprise.id)).all()
        start = date(date.today().year - 1, 1, 6)
        for i in range(60):
            category = CATEGORIES[i % len(CATEGORIES)]
            served = start + timedelta(days=i * 11)
            if served > date.today():
                break
            db.session.add(ServiceLog(
                served_on=served, station_id=station.id, category=category,
                enterprise_id=members[i % len(members)] if i % 7 else None,
                non_member="" if i % 7 else "园区外某科技公司", handled_by="李晓梅", summary=SUMMARIES[category],
                outcome="已答复" if category != "complaint" else "已移送区局",
                case_status="referred" if category == "complaint" else None,
                follow_up="open" if i % 9 == 0 else "done",
                follow_up_due=served + timedelta(days=30) if i % 9 == 0 else None))
    return []
