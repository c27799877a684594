"""Cross-tenant figures about reports, for the bureau roll-up (the caller wraps the call in
`cross_tenant_reads`)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from saas.extensions import db

from .models import PeriodicReport


def on_time_counts(tenant_ids: list[int], year: int, today: date | None = None) -> dict[int, tuple[int, int]]:
    """Per tenant id: (reports of `year` received on time, reports of `year` due so far).

    `year` is the report's own year (the year it reports on). "Due so far" = a report with a due
    date on or before today, or one already received before its date; "received on time" = its
    first submission's day is on or before its due date (a returned and resubmitted report keeps
    its first date). Reports without a due date count in neither. One grouped statement; tenants
    with no report due answer (0, 0).
    """
    ids = [int(t) for t in tenant_ids]
    if not ids:
        return {}
    today = today or date.today()
    on_time = sa.and_(PeriodicReport.first_submitted_at.is_not(None),
                      sa.func.date(PeriodicReport.first_submitted_at) <= PeriodicReport.due_on)
    rows = db.session.execute(
        sa.select(PeriodicReport.tenant_id,
                  sa.func.count().filter(on_time),
                  sa.func.count())
        .where(PeriodicReport.tenant_id.in_(ids), PeriodicReport.year == year,
               PeriodicReport.due_on.is_not(None),
               sa.or_(PeriodicReport.due_on <= today, PeriodicReport.first_submitted_at.is_not(None)))
        .group_by(PeriodicReport.tenant_id)).all()
    counts = {t: (0, 0) for t in ids}
    for tenant_id, received, due in rows:
        counts[tenant_id] = (int(received), int(due))
    return counts
