"""The nightly readiness snapshot: `flask readiness snapshot` (cron) or the worker's own
schedule, one run a night, re-scheduling itself for the next."""

from __future__ import annotations

from datetime import datetime, time

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from saas.extensions import db
from saas.jobs.schedule import schedule_daily
from saas.tenancy import Tenant, tenant_scope

from .service import snapshot_tenant

readiness_cli = AppGroup("readiness", help="Readiness scores.")
NIGHTLY_AT = time(2, 0)


def snapshot_all() -> int:
    total = 0
    for tenant_id in db.session.scalars(sa.select(Tenant.id).where(Tenant.status == "active")).all():
        with tenant_scope(tenant_id):
            total += snapshot_tenant(db.session.get(Tenant, tenant_id))
            db.session.commit()
    return total


@readiness_cli.command("snapshot")
def snapshot_command():
    """Record today's readiness score of every active tenant."""
    click.echo(f"{snapshot_all()} scores recorded")


def nightly():
    """RQ job: today's snapshots, then the same job again tomorrow night."""
    from saas.jobs.task import _app_context

    with _app_context():
        snapshot_all()
        schedule_nightly()


def schedule_nightly(now: datetime | None = None) -> str:
    """Queue the next nightly run once (the job id is the date, so repeats are no-ops)."""
    return schedule_daily(nightly, NIGHTLY_AT, "readiness-nightly", now)
