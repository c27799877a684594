"""Demo guidance visits and team ledger for `flask demo seed` (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.members.models import Enterprise

from .models import GuidanceVisit, ProtectionStaff, TeamActivity, VisitInstructor


def seed(password: str) -> list[str]:
    tenant = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    instructor = User.by_email("instructor@demo.example")
    with tenant_scope(tenant.id):
        if instructor is None or db.session.scalar(sa.select(GuidanceVisit.id).limit(1)) is not None:
            return []
        members = db.session.scalars(sa.select(Enterprise).where(Enterprise.status != "withdrawn")
                                     .order_by(Enterprise.id)).all()
        this_year = date.today().year
        for i, enterprise in enumerate(members):
            # The first members had both visits this year, the rest one or none: the coverage page shows both.
            for k in range(2 if i < 5 else 1 if i < 8 else 0):
                visited = min(date(this_year, 3 + 4 * k, 10 + i), date.today() - timedelta(days=1))
                visit = GuidanceVisit(enterprise_id=enterprise.id, visited_on=visited,
                                      mode="on_site" if k == 0 else "remote",
                                      topics=["organisation", "rules"] if k == 0 else ["measures", "training"],
                                      findings="涉密载体管理台账不完整", recommendations="按月更新涉密载体台账并指定专人保管",
                                      follow_up_due=visited + timedelta(days=45), status="closed" if k == 0 else "open",
                                      created_by_id=instructor.id)
                db.session.add(visit)
                db.session.flush()
                db.session.add(VisitInstructor(visit_id=visit.id, user_id=instructor.id))
            if i < 5:
                db.session.add(ProtectionStaff(enterprise_id=enterprise.id, name=f"保密专员{i + 1}",
                                               position="保密专员", employment="part_time", trained=i % 2 == 0))
        db.session.add_all([
            TeamActivity(kind="training", title="指导员商业秘密保护实务培训", held_on=date(this_year, 4, 18),
                         hours=4, participants=26),
            TeamActivity(kind="material", title="《商业秘密保护指引（生物医药版）》", held_on=date(this_year, 6, 1)),
        ])
    return []
