"""Deleting a tenant, in two steps (issue 24).

1. **Suspend**: `Tenant.status` becomes "suspended": its pages answer 404 to everybody (as for
   an unknown tenant, saas/auth/access.py), nobody lists it among their tenants, its data stays.
   A platform admin may restore it until it is purged; `purge_after` is 30 days on.
2. **Purge**: only a suspended tenant, by a platform admin who types its slug (or the nightly
   job once `purge_after` has passed). Every row with its tenant_id in every table that has the
   column goes (found in the metadata, children first, so a table added tomorrow goes too), then
   the tenant row, then every file under its upload folder. What stays is a `PurgedTenant` row:
   that it happened, when, by whom, how many rows — nothing about the people in it.

Status changes are compare-and-set, so a double submit does the work once.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .tenancy import Tenant, tenant_scope, utcnow

log = logging.getLogger(__name__)

GRACE = timedelta(days=30)
NIGHTLY_AT = time(3, 30)


class LifecycleError(ValueError):
    """The message is for the user."""


class PurgedTenant(db.Model):
    """The platform's record that a tenant was purged. Platform-level (no tenant_id: the tenant
    is gone) and without personal data: the base's slug and name, dates, and row counts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # The purged tenant's id, for the logs (not named tenant_id: this is no tenant's row).
    former_id: Mapped[int]
    slug: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    suspended_at: Mapped[datetime | None]
    purged_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: the nightly job, after the 30 days.
    purged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # {table: rows deleted}, and "files": files deleted.
    row_counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)


def tenant_tables() -> list[sa.Table]:
    """Every table holding rows of one tenant (a `tenant_id` column), in dependency order."""
    return [t for t in db.metadata.sorted_tables if "tenant_id" in t.c and t.name != "tenant"]


def upload_folder(tenant_id: int) -> Path:
    """Where the tenant's files live (saas/files.py stores them under UPLOAD_DIR/<tenant id>/)."""
    return Path(current_app.config["UPLOAD_DIR"]) / str(int(tenant_id))


def suspend(tenant: Tenant, user_id: int | None) -> bool:
    """Suspend an active tenant; False if it was not active (a double submit changes nothing)."""
    now = utcnow()
    done = db.session.execute(
        sa.update(Tenant).where(Tenant.id == tenant.id, Tenant.status == "active")
        .values(status="suspended", suspended_at=now, suspended_by_id=user_id, purge_after=now + GRACE)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(tenant)
    return done


def restore(tenant: Tenant) -> bool:
    """Make a suspended tenant active again; False if it was not suspended."""
    done = db.session.execute(
        sa.update(Tenant).where(Tenant.id == tenant.id, Tenant.status == "suspended")
        .values(status="active", suspended_at=None, suspended_by_id=None, purge_after=None)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(tenant)
    return done


def mark_status(tenant: Tenant, user_id: int | None = None) -> None:
    """Keep the suspension dates true when the status is set directly (the tenant form)."""
    if tenant.status == "suspended" and tenant.suspended_at is None:
        tenant.suspended_at = utcnow()
        tenant.suspended_by_id = user_id
        tenant.purge_after = tenant.suspended_at + GRACE
    elif tenant.status == "active":
        tenant.suspended_at = tenant.suspended_by_id = tenant.purge_after = None


def purge(tenant: Tenant, typed_slug: str | None, user_id: int | None) -> PurgedTenant:
    """Delete the suspended `tenant`, its rows and its files; commits. `typed_slug` must be its
    slug (None only for the nightly job). Raises LifecycleError, nothing deleted, otherwise."""
    if typed_slug is not None and typed_slug.strip() != tenant.slug:
        raise LifecycleError(_("The short name you typed is not this tenant's."))
    tenant_id, slug = tenant.id, tenant.slug
    counts: dict[str, int] = {}
    # Compare-and-set on the row first: a second purge of the same tenant (a double submit, the
    # nightly job at the same moment) finds no suspended row and stops before deleting anything.
    claimed = db.session.execute(
        sa.update(Tenant).where(Tenant.id == tenant_id, Tenant.status == "suspended")
        .values(data_version="purging").execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise LifecycleError(_("Only a suspended tenant can be purged."))
    record = PurgedTenant(former_id=tenant_id, slug=slug, name=tenant.name, suspended_at=tenant.suspended_at,
                          purged_by_id=user_id)
    with tenant_scope(tenant_id):
        connection = db.session.connection()
        for table in reversed(tenant_tables()):  # children first
            deleted = connection.execute(table.delete().where(table.c.tenant_id == tenant_id)).rowcount
            if deleted:
                counts[table.name] = deleted
    connection.execute(Tenant.__table__.delete().where(Tenant.__table__.c.id == tenant_id))
    folder = upload_folder(tenant_id)
    counts["files"] = sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
    record.row_counts = counts
    db.session.add(record)
    db.session.expunge(tenant)
    db.session.commit()
    # Files after the commit: a failed transaction must leave the tenant whole, files included.
    shutil.rmtree(folder, ignore_errors=True)
    log.info("tenant %s (%s) purged: %s", slug, tenant_id, counts)
    return record


def due_for_purge(now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    return list(db.session.scalars(sa.select(Tenant.id).where(
        Tenant.status == "suspended", Tenant.purge_after.is_not(None), Tenant.purge_after <= now)))


def purge_due(now: datetime | None = None) -> list[str]:
    """Purge every tenant whose 30 days have passed (the nightly job); the slugs purged."""
    purged = []
    for tenant_id in due_for_purge(now):
        tenant = db.session.get(Tenant, tenant_id)
        if tenant is None:
            continue
        try:
            purged.append(purge(tenant, None, None).slug)
        except LifecycleError:
            db.session.rollback()  # restored meanwhile
    return purged


def nightly():
    """RQ job: purge what is due, then the same job again tomorrow night."""
    from .jobs.task import _app_context

    with _app_context():
        purge_due()
        schedule()


def schedule(now: datetime | None = None) -> str:
    from .jobs.schedule import schedule_daily

    return schedule_daily(nightly, NIGHTLY_AT, "tenant-purge", now)
