"""In-app notifications (a list per user) plus the same message by e-mail."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .mail import send_mail
from .pagination import paginate
from .tenancy import utcnow


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    url: Mapped[str] = mapped_column(sa.String(300), default="")
    read: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def notify(users, text: str, url: str = "", subject: str | None = None) -> None:
    for user in users:
        db.session.add(Notification(user_id=user.id, text=text[:500], url=url))
        send_mail(user.email, subject or text[:120], f"{text}\n\n{url}\n")


bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    page = paginate(sa.select(Notification).where(Notification.user_id == current_user.id)
                    .order_by(Notification.id.desc()))
    return render_template("notifications.html", page=page)


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
