"""The one definition of "a demonstration unit on a given day", in SQL: the metrics service,
the roster filter and the unit pages all use it. Kept apart from the services so the metrics
service can import it without importing the schemes (which import the metrics)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tenants.members.models import Enterprise

from .models import Recognition


def valid_on(day: date):
    """SQL: a recognition valid on `day` (recognised by then, not past its term, not ended)."""
    return sa.and_(Recognition.recognised_on <= day,
                   sa.or_(Recognition.valid_until.is_(None), Recognition.valid_until >= day),
                   sa.or_(Recognition.ended_on.is_(None), Recognition.ended_on > day))


def recognised_enterprise(day: date):
    """SQL EXISTS for the enclosing Enterprise row: it holds a valid recognition on `day`.
    Names the tenant so the (tenant_id, enterprise_id) index serves it."""
    return sa.exists().where(Recognition.tenant_id == Enterprise.tenant_id,
                             Recognition.enterprise_id == Enterprise.id, valid_on(day))
