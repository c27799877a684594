"""An instructor's own work across the tenants they are assigned to: visits whose enterprise
reported the rectification (to check and close), follow-ups past their day, and visits the
enterprise has not acknowledged yet (waiting on the enterprise, shown but not counted)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from saas.auth.models import Membership
from saas.extensions import db
from saas.tenancy import Tenant, cross_tenant_reads
from tenants.visits.models import GuidanceVisit, VisitInstructor

REASON = "an instructor's own visits across the tenants assigned to them"


def assigned(user_id: int):
    """SQL: the ids of the active tenants where the user is an instructor."""
    return (sa.select(Membership.tenant_id).join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.user_id == user_id, Membership.role == "instructor", Tenant.status == "active"))


def _mine(user_id: int):
    return (sa.select(GuidanceVisit)
            .join(VisitInstructor, sa.and_(VisitInstructor.tenant_id == GuidanceVisit.tenant_id,
                                           VisitInstructor.visit_id == GuidanceVisit.id))
            .where(VisitInstructor.user_id == user_id, GuidanceVisit.tenant_id.in_(assigned(user_id))))


def waiting_for_me(user_id: int, today: date):
    """SQL: the instructor's visits that wait for them — the enterprise reported its
    rectification (check it and close the visit), or the follow-up day has passed."""
    return _mine(user_id).where(sa.or_(GuidanceVisit.status == "rectified",
                                       sa.and_(GuidanceVisit.status == "open", GuidanceVisit.follow_up_due < today)))


def unacknowledged(user_id: int):
    """SQL: the instructor's visits the enterprise has not acknowledged yet."""
    return _mine(user_id).where(GuidanceVisit.acknowledged_at.is_(None), GuidanceVisit.status != "closed")


def pending(user_id: int, today: date | None = None) -> int:
    """The badge: how many visits wait for the instructor."""
    select = waiting_for_me(user_id, today or date.today())
    with cross_tenant_reads(REASON):
        return db.session.scalar(sa.select(sa.func.count()).select_from(select.subquery()))
