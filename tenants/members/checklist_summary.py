"""Each member's checklist items in place, counted (member_checklist) in the same transaction as
the items they count (per_member.py): what the tenant figures read (tenants/metrics/service.py)
instead of grouping every member's items on each first view after a change (issue 23).
tests/test_per_member_summaries.py compares the rows with a computation from scratch after each
kind of write."""

from __future__ import annotations

import sqlalchemy as sa

from saas.database import count_where

from .checklists import CORE_ITEMS, LEAK_PLAN_ITEM, RULES_ITEM
from .models import ChecklistItem, MemberChecklist
from .per_member import PerMember


def _definition(tenant_id: int):
    c = ChecklistItem.__table__.c
    return (sa.select(sa.literal(tenant_id).label("tenant_id"), c.enterprise_id,
                      count_where(c.code == RULES_ITEM).label("rules"), count_where(c.code.in_(CORE_ITEMS)).label("core"),
                      count_where(c.code == LEAK_PLAN_ITEM).label("leak"))
            .where(c.tenant_id == tenant_id, c.state == "in_place").group_by(c.enterprise_id))


kept = PerMember(MemberChecklist.__table__, ChecklistItem, ("state", "code", "enterprise_id"), _definition)
live, refresh, rebuild, differences = kept.live, kept.refresh, kept.rebuild, kept.differences
