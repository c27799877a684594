"""Outgoing mail. With MAIL_SERVER set it goes out by SMTP; otherwise (development, tests) each
message is logged and kept in `sent_mail`, shown to platform admins under /admin/mail."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .tenancy import utcnow

log = logging.getLogger(__name__)


class SentMail(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def send_mail(recipient: str, subject: str, body: str) -> None:
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        log.info("mail to=%s subject=%s\n%s", recipient, subject, body)
        db.session.add(SentMail(recipient=recipient, subject=subject, body=body))
        return
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = recipient
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=15) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(msg)
