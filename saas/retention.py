"""How long personal data of the platform's own records is kept (PIPL: no longer than needed),
enforced every night by the worker and by `flask retention purge`.

- The audit log (saas/audit.py): `AUDIT_RETENTION_DAYS`; 0 (the default) keeps it for ever — it
  is the base's record of who changed what, which reviewers rely on; when set, at least 180 days
  (the Cybersecurity Law keeps network logs six months at least).
- Signed-out sessions (saas/auth/sessions.py): a record must stay until the cookie would have
  expired, or a copied cookie would work again; `SESSION_RETENTION_DAYS` (default 0) is how long
  after that it is kept.
- Known sign-in devices and addresses (hashes, saas/auth/throttle.py): `KNOWN_SIGN_IN_DAYS`
  (default 180) after they were last used.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import click
import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .jobs.schedule import schedule_daily
from .tenancy import Tenant, tenant_scope, utcnow

NIGHTLY_AT = time(3, 45)


def purge(now: datetime | None = None) -> dict[str, int]:
    """Delete what is older than its retention; the number of rows deleted, by kind."""
    from .audit import AuditEvent
    from .auth.models import KnownSignIn, SignedOutSession

    now = now or utcnow()
    config = current_app.config
    done = {"audit_event": 0, "signed_out_session": 0, "known_sign_in": 0}
    days = config.get("AUDIT_RETENTION_DAYS", 0)
    if days:
        cutoff = now - timedelta(days=days)
        # Tenant by tenant: the audit log is tenant-owned (and, on PostgreSQL, behind its wall).
        for tenant_id in db.session.scalars(sa.select(Tenant.id).order_by(Tenant.id)).all():
            with tenant_scope(tenant_id):
                done["audit_event"] += db.session.execute(
                    sa.delete(AuditEvent).where(AuditEvent.tenant_id == tenant_id, AuditEvent.created_at < cutoff)
                    .execution_options(synchronize_session=False)).rowcount or 0
                db.session.commit()
    cutoff = now - timedelta(days=config.get("SESSION_RETENTION_DAYS", 0))
    done["signed_out_session"] = db.session.execute(
        sa.delete(SignedOutSession).where(SignedOutSession.expires_at < cutoff)).rowcount or 0
    cutoff = now - timedelta(days=config.get("KNOWN_SIGN_IN_DAYS", 180))
    done["known_sign_in"] = db.session.execute(
        sa.delete(KnownSignIn).where(KnownSignIn.last_seen_at < cutoff)).rowcount or 0
    db.session.commit()
    return done


@click.group("retention")
def retention_cli():
    """Retention of personal data (audit log, signed-out sessions, known sign-ins)."""


@retention_cli.command("purge")
def purge_command():
    """Delete what is older than its retention now (the worker does it every night)."""
    done = purge()
    click.echo(", ".join(f"{name}: {n}" for name, n in done.items()))


def nightly():
    """RQ job: purge, then the same job again tomorrow night."""
    from .jobs.task import _app_context

    with _app_context():
        purge()
        schedule_nightly()


def schedule_nightly(now: datetime | None = None) -> str:
    return schedule_daily(nightly, NIGHTLY_AT, "retention", now)


def init_app(app) -> None:
    app.cli.add_command(retention_cli)
    app.extensions.setdefault("worker_schedules", []).append(schedule_nightly)
