"""The instructor's home (/instructor), phone first, where they land: what waits for them
(visits whose rectification is reported, follow-ups past their day — the count of the top
bar's badge), visits not yet acknowledged, my tenants, members due a visit this year (fewer
than 2 — CQ-1), my open follow-ups. Reads across the tenants the instructor is assigned
to, and only those."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from saas.auth.models import Membership
from saas.extensions import db
from saas.tenancy import Tenant, cross_tenant_reads
from tenants.members.models import Enterprise
from tenants.workbench.instructor import unacknowledged, waiting_for_me

from .models import VISITS_PER_YEAR, GuidanceVisit, InstructorEnterprise, VisitInstructor
from .services import year_bounds

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


@bp.route("/")
@login_required
def home():
    year = date.today().year
    start, end = year_bounds(year)
    with cross_tenant_reads("an instructor's own assignments across tenants"):
        tenants = db.session.execute(
            sa.select(Tenant).join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == current_user.id, Membership.role == "instructor", Tenant.status == "active")
            .order_by(Tenant.name)).scalars().all()
        ids = [t.id for t in tenants]
        due, follow_ups, to_check, unseen = [], [], [], []
        if ids:
            visits = (sa.select(GuidanceVisit.enterprise_id, sa.func.count(GuidanceVisit.id).label("n"))
                      .where(GuidanceVisit.tenant_id.in_(ids), GuidanceVisit.visited_on >= start,
                             GuidanceVisit.visited_on < end)
                      .group_by(GuidanceVisit.enterprise_id).subquery())
            mine = sa.select(InstructorEnterprise.tenant_id, InstructorEnterprise.enterprise_id).where(
                InstructorEnterprise.user_id == current_user.id, InstructorEnterprise.tenant_id.in_(ids))
            restricted = sa.select(mine.subquery().c.tenant_id)
            n = sa.func.coalesce(visits.c.n, 0)
            due = db.session.execute(
                sa.select(Enterprise.id, Enterprise.name, Enterprise.tenant_id, n)
                .outerjoin(visits, visits.c.enterprise_id == Enterprise.id)
                .where(Enterprise.tenant_id.in_(ids), Enterprise.status != "withdrawn", n < VISITS_PER_YEAR,
                       sa.or_(Enterprise.tenant_id.not_in(restricted),
                              Enterprise.id.in_(sa.select(mine.subquery().c.enterprise_id))))
                .order_by(n, Enterprise.name).limit(200)).all()
            follow_ups = db.session.execute(
                sa.select(GuidanceVisit, Enterprise.name)
                .join(Enterprise, Enterprise.id == GuidanceVisit.enterprise_id)
                .join(VisitInstructor, VisitInstructor.visit_id == GuidanceVisit.id)
                .where(VisitInstructor.user_id == current_user.id, GuidanceVisit.status == "open",
                       GuidanceVisit.tenant_id.in_(ids))
                .order_by(GuidanceVisit.follow_up_due.is_(None), GuidanceVisit.follow_up_due).limit(200)).all()
            # The enterprise reported its rectification: the instructor checks it and closes the visit.
            to_check = db.session.execute(
                sa.select(GuidanceVisit, Enterprise.name)
                .join(Enterprise, Enterprise.id == GuidanceVisit.enterprise_id)
                .where(GuidanceVisit.id.in_(sa.select(waiting_for_me(current_user.id, date.today()).subquery().c.id)),
                       GuidanceVisit.status == "rectified")
                .order_by(GuidanceVisit.visited_on).limit(200)).all()
            unseen = db.session.execute(
                sa.select(GuidanceVisit, Enterprise.name)
                .join(Enterprise, Enterprise.id == GuidanceVisit.enterprise_id)
                .where(GuidanceVisit.id.in_(sa.select(unacknowledged(current_user.id).subquery().c.id)))
                .order_by(GuidanceVisit.visited_on).limit(200)).all()
    slugs = {t.id: t.slug for t in tenants}
    today = date.today()
    overdue = sum(1 for v, _name in follow_ups if v.overdue(today))
    return render_template("visits/home.html", tenants=tenants, due=due, follow_ups=follow_ups, slugs=slugs,
                           year=year, needed=VISITS_PER_YEAR, today=today, to_check=to_check, unseen=unseen,
                           waiting=len(to_check) + overdue)
