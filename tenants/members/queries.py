"""Roster queries: filters, search, sort and the per-status counts, each one SQL statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, with_expression

from saas.database import count_where
from saas.extensions import db
from tenants.recognition.queries import recognised_enterprise

from .checklists import CORE_ITEMS, RULES_ITEM
from .models import FLAGS, STATUSES, ChecklistItem, Enterprise, LiaisonPerson

SORTS = {
    "name": (Enterprise.name, Enterprise.id),
    "-joined": (Enterprise.joined_on.desc(), Enterprise.id.desc()),
    "joined": (Enterprise.joined_on, Enterprise.id),
    "-employees": (Enterprise.employees.desc(), Enterprise.id),
    "status": (Enterprise.status, Enterprise.name, Enterprise.id),
}


@dataclass
class RosterFilter:
    q: str = ""
    status: str = ""
    flag: str = ""
    liaison: str = ""  # "yes" / "no"
    checklist: str = ""  # "complete" / "incomplete"
    rules: str = ""  # "yes": protection rules in place (five.rules)
    sort: str = "name"

    @classmethod
    def from_args(cls, args) -> RosterFilter:
        f = cls(**{k: (args.get(k) or "").strip() for k in ("q", "status", "flag", "liaison", "checklist", "rules",
                                                            "sort")})
        f.status = f.status if f.status in STATUSES or f.status in ("active", "demonstration") else ""
        f.flag = f.flag if f.flag in FLAGS else ""
        f.sort = f.sort if f.sort in SORTS else "name"
        return f

    def args(self) -> dict:
        return {k: v for k, v in vars(self).items() if v and not (k == "sort" and v == "name")}


def active_on(day):
    """Members on `day`: joined by then and not withdrawn on it (DOMAIN "active members")."""
    return sa.and_(sa.or_(Enterprise.joined_on.is_(None), Enterprise.joined_on <= day),
                   sa.or_(Enterprise.status != "withdrawn", Enterprise.withdrawn_on > day))


def core_done():
    """Scalar subquery: how many of the five + three items an enterprise has in place."""
    # Naming the tenant lets the (tenant_id, enterprise_id, code) index serve it, instead of a
    # scan of every checklist item per listed enterprise (a Core subquery is not tenant-scoped).
    return (sa.select(sa.func.count(ChecklistItem.id))
            .where(ChecklistItem.tenant_id == Enterprise.tenant_id, ChecklistItem.enterprise_id == Enterprise.id,
                   ChecklistItem.code.in_(CORE_ITEMS),
                   ChecklistItem.state == "in_place")
            .correlate(Enterprise).scalar_subquery())


def roster(f: RosterFilter):
    """Enterprises with their current liaison and checklist progress loaded in the same query."""
    liaison = aliased(LiaisonPerson)
    done = core_done()
    select = (sa.select(Enterprise)
              .outerjoin(liaison, sa.and_(liaison.enterprise_id == Enterprise.id, liaison.ended_on.is_(None)))
              .options(contains_eager(Enterprise.current, alias=liaison),
                       with_expression(Enterprise.core_done, done)))
    if f.q:
        select = select.where(sa.or_(Enterprise.name.icontains(f.q, autoescape=True),
                                     Enterprise.credit_code.icontains(f.q.upper(), autoescape=True),
                                     liaison.name.icontains(f.q, autoescape=True)))
    if f.status == "active":
        select = select.where(Enterprise.status != "withdrawn")
    elif f.status == "demonstration":
        # Not a status: members holding a recognition valid today (tenants.recognition).
        select = select.where(Enterprise.status != "withdrawn", recognised_enterprise(date.today()))
    elif f.status:
        select = select.where(Enterprise.status == f.status)
    if f.flag:
        select = select.where(getattr(Enterprise, f.flag).is_(True))
    if f.liaison == "yes":
        select = select.where(liaison.id.is_not(None))
    elif f.liaison == "no":
        select = select.where(liaison.id.is_(None))
    if f.rules == "yes":
        select = select.where(sa.exists().where(ChecklistItem.tenant_id == Enterprise.tenant_id,
                                                ChecklistItem.enterprise_id == Enterprise.id,
                                                ChecklistItem.code == RULES_ITEM, ChecklistItem.state == "in_place"))
    if f.checklist == "complete":
        select = select.where(done >= len(CORE_ITEMS))
    elif f.checklist == "incomplete":
        select = select.where(done < len(CORE_ITEMS))
    return select.order_by(*SORTS[f.sort])


def status_counts() -> dict[str, int]:
    """Members per status, and the demonstration units among the current ones (one statement)."""
    demo = sa.and_(Enterprise.status != "withdrawn", recognised_enterprise(date.today()))
    rows = db.session.execute(sa.select(Enterprise.status, sa.func.count(Enterprise.id),
                                        count_where(demo))
                              .group_by(Enterprise.status)).all()
    counts = {s: 0 for s in STATUSES}
    counts.update({status: n for status, n, _demo in rows})
    counts["demonstration"] = sum(int(d) for _s, _n, d in rows)
    return counts
