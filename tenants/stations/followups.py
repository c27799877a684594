"""Overdue follow-ups: the one definition behind the dashboard's figure, the ledger's warning and
the page both link to. A follow-up is overdue when it is still open and its due date has passed:
a ledger entry's (follow_up open) or a guidance visit's (status open), whatever year it was made in."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from saas.extensions import db
from tenants.visits.models import GuidanceVisit

from .models import ServiceLog


def log_overdue(today: date):
    return sa.and_(ServiceLog.follow_up == "open", ServiceLog.follow_up_due < today)


def visit_overdue(today: date):
    return sa.and_(GuidanceVisit.status == "open", GuidanceVisit.follow_up_due < today)


def overdue_counts_select(today: date):
    """One statement: (ledger entries, visits) overdue — the metrics service runs it too."""
    return sa.select(
        sa.select(sa.func.count(ServiceLog.id)).where(log_overdue(today)).scalar_subquery(),
        sa.select(sa.func.count(GuidanceVisit.id)).where(visit_overdue(today)).scalar_subquery())


def overdue_total(today: date) -> int:
    logs, visits = db.session.execute(overdue_counts_select(today)).one()
    return int(logs) + int(visits)


def overdue_rows(today: date, enterprise_id: int | None = None) -> tuple[list, list]:
    """The rows behind the figure, oldest due first: (ledger entries, visits)."""
    logs = (sa.select(ServiceLog).options(joinedload(ServiceLog.station), joinedload(ServiceLog.enterprise))
            .where(log_overdue(today)).order_by(ServiceLog.follow_up_due, ServiceLog.id))
    visits = (sa.select(GuidanceVisit).options(joinedload(GuidanceVisit.enterprise))
              .where(visit_overdue(today)).order_by(GuidanceVisit.follow_up_due, GuidanceVisit.id))
    if enterprise_id is not None:
        logs = logs.where(ServiceLog.enterprise_id == enterprise_id)
        visits = visits.where(GuidanceVisit.enterprise_id == enterprise_id)
    return db.session.scalars(logs).all(), db.session.scalars(visits).all()
