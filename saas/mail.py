"""Outgoing mail, through an outbox: `send_mail` only writes a `sent_mail` row in the caller's
transaction; once that transaction commits, a background job (saas/jobs, `deliver`) sends it.
A request that rolls back leaves no row and sends nothing; a request never talks SMTP.

With MAIL_SERVER set the job goes out by SMTP; otherwise (development, tests) each message is
logged and kept, shown to platform admins under /admin/mail — where every message's state
(queued, sending, sent, failed, with the attempts and the last error) is shown too.

Each row is claimed (queued → sending) and committed before it is sent, and marked sent right
after the server accepted it, so a retried job never sends a row twice. A row left "sending" by
a worker that died mid-conversation may or may not have gone out: it is marked failed with that
reason for the platform admin to send again, never resent on its own.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from rq import get_current_job
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db
from .jobs import job
from .jobs.queues import QueueUnavailable
from .tenancy import utcnow

log = logging.getLogger(__name__)

MAIL_STATUSES = ("queued", "sending", "sent", "failed")
STALE = timedelta(minutes=10)  # a queued row this old has lost its job (Redis was down): sweep it
INTERRUPTED = "interrupted: the worker stopped while sending; it may have been delivered"


class SentMail(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued", server_default="sent")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_sent_mail_status_created", "status", "created_at"),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
    )


def send_mail(recipient: str, subject: str, body: str) -> SentMail:
    """Queue a message: sent by the `deliver` job after the current transaction commits."""
    mail = SentMail(recipient=recipient, subject=subject[:300], body=body, status="queued")
    db.session.add(mail)
    return mail


def requeue(mail_id: int) -> bool:
    """Send a failed message again (the platform admin's button); compare-and-set, so a double
    click queues it once. The job is queued when the caller commits."""
    done = db.session.execute(sa.update(SentMail).where(SentMail.id == mail_id, SentMail.status == "failed")
                              .values(status="queued", error="").execution_options(synchronize_session=False))
    if done.rowcount:
        db.session.info.setdefault("outbox", set()).add(mail_id)
    return bool(done.rowcount)


# -- after the commit: queue the job --------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _collect(session, flush_context):
    ids = [o.id for o in session.new if isinstance(o, SentMail) and o.status == "queued"]
    if ids:
        session.info.setdefault("outbox", set()).update(ids)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop("outbox", None)


@event.listens_for(Session, "after_commit")
def _enqueue(session):
    ids = session.info.pop("outbox", None)
    if ids:
        enqueue(sorted(ids))


def enqueue(ids: list[int]) -> None:
    """Queue the job for these rows; with Redis down they stay queued for the next sweep."""
    try:
        # Unique: never replaces a job of the same rows waiting for its retry.
        deliver.enqueue_platform(ids, job_id=f"mail-{ids[0]}-{ids[-1]}-{len(ids)}-{secrets.token_hex(4)}")
    except QueueUnavailable:
        log.warning("mail %s stays queued: background work is unavailable", ids)
    except Exception:  # the transaction has committed: never fail its request for this
        log.exception("mail %s stays queued: its job could not be queued", ids)


# -- the job --------------------------------------------------------------------------------------

class _Permanent(Exception):
    pass


def _claim(mail_id: int) -> SentMail | None:
    """queued → sending, committed before anything goes out; None when it is not ours to send."""
    claimed = db.session.execute(sa.update(SentMail).where(SentMail.id == mail_id, SentMail.status == "queued")
                                 .values(status="sending", attempts=SentMail.attempts + 1)
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return db.session.get(SentMail, mail_id) if claimed else None


def _mark(mail_id: int, **values) -> None:
    db.session.execute(sa.update(SentMail).where(SentMail.id == mail_id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _message(mail: SentMail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.recipient
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    domain = urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname or "localhost"
    msg["Message-ID"] = f"<mail-{mail.id}@{domain}>"  # the same on every attempt
    msg.set_content(mail.body)
    return msg


def _connect(cfg) -> smtplib.SMTP:
    smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=15)
    try:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _permanent(exc: Exception) -> bool:
    """The server refused for good (5xx, recipients refused): another try would fail the same."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


@job(queue="default", timeout=600, retries=3, intervals=(30, 300, 1800))
def deliver(ctx, ids: list[int]) -> dict:
    """Send the queued rows `ids` (and any queued row left behind longer than STALE)."""
    cfg = current_app.config
    cutoff = utcnow() - STALE
    stale = list(db.session.scalars(sa.select(SentMail.id).where(
        SentMail.status == "queued", SentMail.created_at < cutoff, SentMail.id.not_in(ids or [0]))
        .order_by(SentMail.id).limit(200)))
    rq_job = get_current_job()
    will_retry = bool(rq_job and rq_job.retries_left)
    smtp, sent, retry = None, 0, []
    try:
        for mail_id in list(ids) + stale:
            mail = _claim(mail_id)
            if mail is None:
                continue  # sent already (a retry), being sent by another job, or gone
            try:
                if not cfg.get("MAIL_SERVER"):
                    log.info("mail to=%s subject=%s\n%s", mail.recipient, mail.subject, mail.body)
                else:
                    if smtp is None:
                        smtp = _connect(cfg)
                    smtp.send_message(_message(mail, cfg["MAIL_DEFAULT_SENDER"]))
            except (OSError, smtplib.SMTPException) as exc:
                db.session.rollback()
                error = f"{type(exc).__name__}: {exc}"[:300]
                if _permanent(exc):
                    _mark(mail_id, status="failed", error=error)
                else:
                    _mark(mail_id, status="queued" if will_retry else "failed", error=error)
                    retry.append(mail_id)
                    if smtp is not None:
                        try:
                            smtp.close()
                        finally:
                            smtp = None
                log.warning("mail %s not sent: %s", mail_id, error)
                continue
            # Accepted: recorded at once, so a retry of this job skips it.
            _mark(mail_id, status="sent", sent_at=utcnow(), error="")
            sent += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    if retry and will_retry:
        # Transient: RQ tries the job again later; the rows sent meanwhile are skipped.
        raise ConnectionError(f"{len(retry)} message(s) to send again")
    return {"sent": sent, "retry": retry}


def sweep() -> int:
    """Nightly: rows left "sending" by a dead worker are failed with that reason (they may have
    gone out: the platform admin decides); queued rows whose job was lost are queued again."""
    cutoff = utcnow() - STALE
    db.session.execute(sa.update(SentMail).where(SentMail.status == "sending", SentMail.created_at < cutoff)
                       .values(status="failed", error=INTERRUPTED).execution_options(synchronize_session=False))
    db.session.commit()
    ids = list(db.session.scalars(sa.select(SentMail.id).where(SentMail.status == "queued",
                                                                SentMail.created_at < cutoff)
                                  .order_by(SentMail.id).limit(1000)))
    if ids:
        enqueue(ids)
    return len(ids)
