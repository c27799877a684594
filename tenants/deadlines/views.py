"""My deadlines (/deadlines) and the same as an iCalendar feed a calendar app can subscribe to
(/calendar/<token>.ics — the token is signed and stops working when the password changes)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer

from saas.auth.models import User
from saas.extensions import db, limiter
from saas.links import public_url

from .service import for_user

bp = Blueprint("deadlines", __name__)
WINDOW = timedelta(days=400)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="calendar-feed")


def feed_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": user.session_token})


@bp.route("/deadlines")
@login_required
def index():
    today = date.today()
    items = for_user(current_user, today - timedelta(days=7), today + timedelta(days=120))
    feed = public_url("deadlines.calendar", token=feed_token(current_user))
    return render_template("deadlines/index.html", items=items, today=today, feed=feed)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@bp.route("/calendar/<token>.ics")
@limiter.limit("60 per hour")
def calendar(token):
    try:
        data = _serializer().loads(token)
    except BadSignature:
        abort(404)
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or user.session_token != data.get("p"):
        abort(404)
    today = date.today()
    stamp = datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tradesecret-bases//deadlines//ZH", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:" + _escape("商业秘密保护示范基地")]
    for d in for_user(user, today - timedelta(days=30), today + WINDOW):
        lines += ["BEGIN:VEVENT", f"UID:{d.uid}@tradesecret-bases", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{d.day:%Y%m%d}", f"DTEND;VALUE=DATE:{d.day + timedelta(days=1):%Y%m%d}",
                  "SUMMARY:" + _escape(d.title), "URL:" + d.url,
                  "BEGIN:VALARM", "TRIGGER:-P7D", "ACTION:DISPLAY", "DESCRIPTION:" + _escape(d.title), "END:VALARM",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return Response("\r\n".join(lines) + "\r\n", mimetype="text/calendar",
                    headers={"Content-Disposition": "inline; filename=deadlines.ics"})
