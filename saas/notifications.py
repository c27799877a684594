"""In-app notifications (a list per user) plus the same message by e-mail.

Every notice is of a `kind` (KINDS); each user chooses per kind whether it also comes by mail
(`NotificationPreference`; mail is on until the user turns it off). Account and security notices
always come by mail. Whatever the choice, every notice appears in the in-app list. Mail goes
through the outbox (saas/mail.py): a job sends it after the transaction commits.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import BooleanField

from .extensions import db
from .links import public_url
from .mail import send_mail
from .pagination import paginate
from .tenancy import utcnow

log = logging.getLogger(__name__)

# The kinds of notice, in the order the preferences page lists them.
KINDS = {
    "review": _l("Reviews and decisions (applications, demonstration units)"),
    "deadline": _l("Deadlines (reminders, overdue)"),
    "report": _l("Periodic reports"),
    "referral": _l("Complaint referrals"),
    "guidance": _l("Published guidance"),
    "survey": _l("Questionnaire surveys"),
    "account": _l("Account and security (invitations, password)"),
    "general": _l("Other notices"),
}
ALWAYS_MAILED = frozenset({"account"})  # cannot be turned off
DEFAULT_KIND = "general"


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default=DEFAULT_KIND, server_default=DEFAULT_KIND)
    text: Mapped[str] = mapped_column(sa.String(500))
    url: Mapped[str] = mapped_column(sa.String(300), default="")
    read: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_notification_user_kind", "user_id", "kind"),)


class NotificationPreference(db.Model):
    """A user's choice for one kind of notice; no row: mail on."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    mail: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)


def kind_labels() -> dict[str, str]:
    return {k: str(v) for k, v in KINDS.items()}


def notify(users, text: str, url: str = "", subject: str | None = None, kind: str = DEFAULT_KIND) -> None:
    """A notice in each user's list and, unless they turned that kind off, by mail (queued; sent
    by a job after the commit). One statement reads the preferences, whatever the number of users."""
    if kind not in KINDS:
        log.warning("unknown notification kind %r: filed as %r", kind, DEFAULT_KIND)
        kind = DEFAULT_KIND
    users = list(users)
    if not users:
        return
    muted: set[int] = set()
    if kind not in ALWAYS_MAILED:
        muted = set(db.session.scalars(sa.select(NotificationPreference.user_id).where(
            NotificationPreference.user_id.in_([u.id for u in users]), NotificationPreference.kind == kind,
            NotificationPreference.mail.is_(False))))
    footer = None
    for user in users:
        db.session.add(Notification(user_id=user.id, kind=kind, text=text[:500], url=url))
        if user.id in muted or not user.email:
            continue
        if footer is None:
            footer = _("Choose which notices you receive by mail: %(link)s",
                       link=public_url("notifications.preferences"))
        body = f"{text}\n\n{url}\n" if url else f"{text}\n"
        send_mail(user.email, subject or text[:120], f"{body}\n--\n{footer}\n")


def mail_wanted(user_id: int) -> dict[str, bool]:
    """Per kind, whether the user gets it by mail."""
    rows = dict(db.session.execute(sa.select(NotificationPreference.kind, NotificationPreference.mail)
                                   .where(NotificationPreference.user_id == user_id)).all())
    return {k: True if k in ALWAYS_MAILED else rows.get(k, True) for k in KINDS}


def set_mail_wanted(user_id: int, wanted: dict[str, bool]) -> None:
    """Store the user's choices (kinds always mailed are not theirs to change)."""
    rows = {p.kind: p for p in db.session.scalars(sa.select(NotificationPreference)
                                                  .where(NotificationPreference.user_id == user_id))}
    for kind in KINDS:
        if kind in ALWAYS_MAILED or kind not in wanted:
            continue
        row = rows.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user_id, kind=kind, mail=bool(wanted[kind])))
        else:
            row.mail = bool(wanted[kind])


class PreferencesForm(FlaskForm):
    pass


for _kind in KINDS:
    setattr(PreferencesForm, f"mail_{_kind}", BooleanField(KINDS[_kind]))


bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    unread = request.args.get("unread") == "1"
    select = sa.select(Notification).where(Notification.user_id == current_user.id)
    if kind:
        select = select.where(Notification.kind == kind)
    if unread:
        select = select.where(Notification.read.is_(False))
    page = paginate(select.order_by(Notification.id.desc()))
    args = {k: v for k, v in (("kind", kind), ("unread", "1" if unread else "")) if v}
    return render_template("notifications.html", page=page, kinds=kind_labels(), kind=kind, unread=unread,
                           args=args)


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm()
    if request.method == "GET":
        for kind, on in mail_wanted(current_user.id).items():
            getattr(form, f"mail_{kind}").data = on
    if form.validate_on_submit():
        set_mail_wanted(current_user.id, {k: getattr(form, f"mail_{k}").data for k in KINDS})
        db.session.commit()
        flash(_("Your mail preferences are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, kinds=kind_labels(),
                           always=ALWAYS_MAILED)


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    db.session.execute(sa.update(Notification).where(Notification.user_id == current_user.id,
                                                     Notification.read.is_(False)).values(read=True))
    db.session.commit()
    return redirect(url_for("notifications.index"))


def unread_count() -> int:
    if not current_user.is_authenticated:
        return 0
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == current_user.id, Notification.read.is_(False)))
