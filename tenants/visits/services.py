"""Guidance visits: who may write which visit, counts per calendar year, coverage, assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _

from saas.auth.models import Membership, User
from saas.extensions import db
from saas.tenancy import Bureau, Tenant, utcnow
from tenants.members.models import Enterprise
from tenants.members.queries import active_on

from .models import (STATUSES, TOPICS, VISITS_PER_YEAR, GuidanceVisit, InstructorEnterprise, MemberVisitYear,
                     VisitInstructor)


class VisitError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def year_bounds(year: int) -> tuple[date, date]:
    """[1 Jan, 1 Jan next year): a visit on 31 Dec and one on 1 Jan count in different years."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def visit_or_404(visit_id: int) -> GuidanceVisit:
    """A visit the current user may read: enterprise users only their own enterprise's."""
    visit = db.session.get(GuidanceVisit, visit_id)
    if visit is None or not g.access.may_see_enterprise(visit.enterprise_id):
        abort(404)
    return visit


def instructor_ids(visit: GuidanceVisit) -> set[int]:
    return set(db.session.scalars(sa.select(VisitInstructor.user_id).where(VisitInstructor.visit_id == visit.id)))


def may_edit(visit: GuidanceVisit, user_id: int) -> bool:
    """Instructors edit their own visits only (one they made, alone or with others)."""
    return g.access.can("visits.record") and user_id in instructor_ids(visit)


def tenant_instructors() -> list[User]:
    """Users assigned to this tenant as instructors (instructor memberships)."""
    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id)
                                   .where(Membership.role == "instructor", User.active.is_(True))
                                   .order_by(User.name)))


def save_visit(visit: GuidanceVisit, data: dict, author_id: int) -> GuidanceVisit:
    if db.session.get(Enterprise, data["enterprise_id"]) is None:
        raise VisitError(_("Choose a member enterprise."), "enterprise_id")
    topics = [t for t in data.get("topics") or [] if t in TOPICS]
    if not topics:
        raise VisitError(_("Choose at least one topic."), "topics")
    if data.get("visited_on") and data["visited_on"] > date.today():
        raise VisitError(_("A visit cannot be recorded before it happens."), "visited_on")
    if data.get("status") and data["status"] not in STATUSES:
        raise VisitError(_("Unknown status."), "status")
    allowed = {u.id for u in tenant_instructors()}
    current = instructor_ids(visit) if visit.id else set()
    # Instructors unassigned since stay on the visits they made; new names must be assigned now.
    chosen = set(data.get("instructor_ids") or []) | {author_id} | (current - allowed)
    if not chosen <= allowed | current:
        raise VisitError(_("Only instructors assigned to this tenant can be named."), "instructor_ids")
    for field in ("enterprise_id", "visited_on", "mode", "findings", "recommendations", "follow_up_due"):
        setattr(visit, field, data.get(field))
    visit.topics = topics
    visit.status = data.get("status") or visit.status or "open"
    if visit.id is None:
        visit.created_by_id = author_id
        db.session.add(visit)
        db.session.flush()
    for user_id in chosen - current:
        db.session.add(VisitInstructor(visit_id=visit.id, user_id=user_id))
    for row in db.session.scalars(sa.select(VisitInstructor).where(
            VisitInstructor.visit_id == visit.id, VisitInstructor.user_id.in_(current - chosen))):
        db.session.delete(row)
    return visit


def acknowledge(visit: GuidanceVisit, user_id: int) -> None:
    if visit.acknowledged_at is None:
        visit.acknowledged_by_id, visit.acknowledged_at = user_id, utcnow()


def answer(visit: GuidanceVisit, rectification: str, user_id: int) -> None:
    """The enterprise reports the rectification done; the visit becomes `rectified`."""
    if not (rectification or "").strip():
        raise VisitError(_("Describe the rectification."), "rectification")
    visit.rectification = rectification.strip()
    if visit.status == "open":
        visit.status = "rectified"
    acknowledge(visit, user_id)


@dataclass
class Coverage:
    year: int
    active: int
    visited: int  # at least one visit
    enough: int  # at least VISITS_PER_YEAR
    rows: list  # (enterprise id, name, visits)

    @property
    def ratio(self) -> float | None:
        return self.enough / self.active if self.active else None


def visits_by_member(first: date, last: date):
    """Subquery (enterprise_id, n): the guidance visits of each visited enterprise from `first`
    to `last` inclusive (visits_per_member adds the members never visited, with 0)."""
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
        # A calendar year: each member's count kept in member_visit_year (summary.py), the same
        # figures as the statement below over that year (tests compare them).
        return (sa.select(MemberVisitYear.enterprise_id, MemberVisitYear.visits.label("n"))
                .where(MemberVisitYear.year == first.year).subquery())
    # count(*) (every visit has an id): PostgreSQL answers it from the index, without the rows
    return (sa.select(GuidanceVisit.enterprise_id, sa.func.count().label("n"))
            .where(GuidanceVisit.visited_on >= first, GuidanceVisit.visited_on <= last)
            .group_by(GuidanceVisit.enterprise_id).subquery())


def visits_per_member(first: date, last: date):
    """Subquery (id, name, n): every member active on `last` — joined by then and not withdrawn
    on it, DOMAIN's "active members" — with its guidance visits from `first` to `last`
    inclusive: the rows of the coverage page. The members-below-two-visits figure counts the
    same visits (visits_by_member) in tenant metrics' one pass over the members."""
    visits = visits_by_member(first, last)
    return (sa.select(Enterprise.id, Enterprise.name, sa.func.coalesce(visits.c.n, 0).label("n"))
            .outerjoin(visits, visits.c.enterprise_id == Enterprise.id)
            .where(active_on(last)).subquery())


def coverage(year: int) -> Coverage:
    """Visits per active member in one calendar year, counted in SQL (one grouped query)."""
    per = visits_per_member(date(year, 1, 1), date(year, 12, 31))
    rows = db.session.execute(sa.select(per.c.id, per.c.name, per.c.n).order_by(per.c.n, per.c.name)).all()
    return Coverage(year, len(rows), sum(1 for r in rows if r[2] > 0),
                    sum(1 for r in rows if r[2] >= VISITS_PER_YEAR), rows)


# Assignments --------------------------------------------------------------------------------

def bureau_line(bureau_id: int | None) -> list[int]:
    """The tenant's bureau and the bureaus above it: whose instructors may serve the tenant."""
    if bureau_id is None:
        return []
    up = sa.select(Bureau.id, Bureau.parent_id).where(Bureau.id == bureau_id).cte("up", recursive=True)
    up = up.union_all(sa.select(Bureau.id, Bureau.parent_id).where(Bureau.id == up.c.parent_id))
    return list(db.session.scalars(sa.select(up.c.id)))


def candidate_instructors(tenant: Tenant) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(
        User.bureau_role == "instructor", User.active.is_(True), User.bureau_id.in_(bureau_line(tenant.bureau_id)))
        .order_by(User.name)))


def assigned_enterprises(user_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(InstructorEnterprise.enterprise_id)
                                   .where(InstructorEnterprise.user_id == user_id)))


def set_assigned_enterprises(user_id: int, enterprise_ids: set[int], among: set[int] | None = None) -> None:
    """Give the instructor these enterprises. With `among` (the enterprises a form offered),
    only assignments among those change: one the form did not show is not the form's to drop."""
    valid = set(db.session.scalars(sa.select(Enterprise.id).where(Enterprise.id.in_(enterprise_ids))))
    current = set(assigned_enterprises(user_id))
    if among is not None:
        valid = (valid & among) | (current - among)
    for enterprise_id in valid - current:
        db.session.add(InstructorEnterprise(user_id=user_id, enterprise_id=enterprise_id))
    for row in db.session.scalars(sa.select(InstructorEnterprise).where(
            InstructorEnterprise.user_id == user_id, InstructorEnterprise.enterprise_id.in_(current - valid))):
        db.session.delete(row)

