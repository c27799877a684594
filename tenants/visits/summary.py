"""Each member's guidance visits of a calendar year, counted (member_visit_year) in the same
transaction as the visits (tenants/members/per_member.py): what the tenant figures read for a
calendar year (visits per member, members below two visits) instead of grouping the year's visits
on each first view after a change (issue 23). tests/test_per_member_summaries.py compares the rows
with a computation from scratch after each kind of write."""

from __future__ import annotations

import sqlalchemy as sa

from tenants.members.per_member import PerMember

from .models import GuidanceVisit, MemberVisitYear


def _definition(tenant_id: int):
    v = GuidanceVisit.__table__.c
    year = sa.cast(sa.extract("year", v.visited_on), sa.Integer)
    return (sa.select(sa.literal(tenant_id).label("tenant_id"), v.enterprise_id, year.label("year"),
                      sa.func.count().label("visits"))
            .where(v.tenant_id == tenant_id).group_by(v.enterprise_id, year))


kept = PerMember(MemberVisitYear.__table__, GuidanceVisit, ("visited_on", "enterprise_id"), _definition)
live, refresh, rebuild, differences = kept.live, kept.refresh, kept.rebuild, kept.differences
