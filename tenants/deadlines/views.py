"""My deadlines (/deadlines) and the same as an iCalendar feed a calendar app can subscribe to
(/calendar/<token>.ics — the token is signed and stops working when the password changes)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, render_template
from flask_babel import force_locale, gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer

from saas.auth.models import User
from saas.extensions import db, limiter
from saas.links import public_url

from . import ical
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
    with force_locale(user.locale or "zh_CN"):
        body = ical.calendar(for_user(user, today - timedelta(days=30), today + WINDOW), _("Trade Secret Protection Bases"))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": "inline; filename=deadlines.ics"})
