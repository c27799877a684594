"""Demo referrals for `flask demo seed` (idempotent): in the optics-valley park, one complaint of
the station ledger referred to the district bureau and closed with its outcome, one accepted and
still with the bureau."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.stations.models import ServiceLog

from .models import Referral, ReferralEvent

CLOSED_OUTCOME = ("经区局调查，该员工离职前违规拷贝工艺图纸属实，已责令其删除并返还全部资料，"
                  "对接收资料的企业作出行政处罚；建议企业完善离职交接和涉密载体管理。")


def _at(day, hours: int) -> datetime:
    """A working hour of `day`, never later than now."""
    return min(datetime.combine(day, time(9)) + timedelta(hours=hours), datetime.now())


def seed(password: str) -> list[str]:
    park = db.session.query(Tenant).filter_by(slug="optics-valley").one_or_none()
    if park is None or park.bureau_id is None:
        return []
    staff = User.by_email("staff@demo.example")
    reviewer = User.by_email("district-reviewer@demo.example")
    with tenant_scope(park.id):
        if db.session.scalar(sa.select(Referral.id).limit(1)) is not None:
            return []
        complaints = db.session.scalars(sa.select(ServiceLog).where(ServiceLog.category == "complaint")
                                        .order_by(ServiceLog.served_on)).all()
        if len(complaints) < 2:
            return []
        closed_entry, open_entry = complaints[0], complaints[-1]
        staff_id = staff.id if staff else None
        reviewer_id = reviewer.id if reviewer else None

        closed = Referral(
            service_log_id=closed_entry.id, bureau_id=park.bureau_id, status="closed",
            station_name=closed_entry.station.name,
            summary="会员企业反映：其前研发工程师离职前将生产工艺图纸拷贝至个人网盘，现入职同行业企业，疑似披露使用。",
            enterprise_name=closed_entry.enterprise.name if closed_entry.enterprise else closed_entry.non_member,
            received_on=closed_entry.served_on, request="请依法调查是否构成侵犯商业秘密，并告知处理结果。",
            outcome=CLOSED_OUTCOME, referred_by_id=staff_id, referred_at=_at(closed_entry.served_on, 3),
            changed_at=_at(closed_entry.served_on + timedelta(days=40), 0))
        db.session.add(closed)
        db.session.flush()
        day = closed_entry.served_on
        db.session.add_all([
            ReferralEvent(referral_id=closed.id, from_status="", to_status="received", user_id=staff_id,
                          created_at=_at(day, 3)),
            ReferralEvent(referral_id=closed.id, from_status="received", to_status="accepted", user_id=reviewer_id,
                          note="已受理，由执法一科办理。", created_at=_at(day + timedelta(days=2), 1)),
            ReferralEvent(referral_id=closed.id, from_status="accepted", to_status="investigated",
                          user_id=reviewer_id, note="已完成现场检查和证据固定。",
                          created_at=_at(day + timedelta(days=25), 2)),
            ReferralEvent(referral_id=closed.id, from_status="investigated", to_status="closed", user_id=reviewer_id,
                          note=CLOSED_OUTCOME, created_at=_at(day + timedelta(days=40), 0)),
        ])
        closed_entry.case_status, closed_entry.outcome, closed_entry.follow_up = "closed", CLOSED_OUTCOME[:500], "done"

        still_open = Referral(
            service_log_id=open_entry.id, bureau_id=park.bureau_id, status="accepted",
            station_name=open_entry.station.name,
            summary="会员企业反映：合作供应商在合同终止后继续使用其提供的配方参数生产同类产品。",
            enterprise_name=open_entry.enterprise.name if open_entry.enterprise else open_entry.non_member,
            received_on=open_entry.served_on, request="请调查核实并视情况组织调解。",
            referred_by_id=staff_id, referred_at=_at(open_entry.served_on, 4),
            changed_at=_at(open_entry.served_on + timedelta(days=3), 0))
        db.session.add(still_open)
        db.session.flush()
        db.session.add_all([
            ReferralEvent(referral_id=still_open.id, from_status="", to_status="received", user_id=staff_id,
                          created_at=_at(open_entry.served_on, 4)),
            ReferralEvent(referral_id=still_open.id, from_status="received", to_status="accepted",
                          user_id=reviewer_id, note="已受理，正在调取合同和供货记录。",
                          created_at=_at(open_entry.served_on + timedelta(days=3), 0)),
        ])
        open_entry.case_status = "referred"
    return []
