"""Sign-in sessions: a fresh session at every sign-in (no fixation), and sign-out that really
ends it — the session's id goes on a deny list in Redis until the cookie would have expired
anyway, so a copied cookie stops working too."""

from __future__ import annotations

import secrets

import redis
from flask import current_app, session
from flask_login import login_user, logout_user

from ..jobs import queues

KEY = "signed-out:"


def sign_in(user) -> None:
    locale = session.get("locale")
    session.clear()  # nothing from before sign-in survives
    session["sid"] = secrets.token_urlsafe(16)
    if locale:
        session["locale"] = locale
    login_user(user)


def sign_out() -> None:
    sid = session.get("sid")
    if sid:
        ttl = int(current_app.permanent_session_lifetime.total_seconds())
        try:
            queues.connection().set(KEY + sid, 1, ex=ttl)
        except (redis.RedisError, OSError):
            current_app.logger.warning("sign-out of session %s not recorded: Redis unavailable", sid[:6])
    logout_user()
    session.clear()


def signed_out(sid: str | None) -> bool:
    if not sid:
        return False
    try:
        return bool(queues.connection().exists(KEY + sid))
    except (redis.RedisError, OSError):
        return False  # Redis down: the signed cookie still proves the sign-in
