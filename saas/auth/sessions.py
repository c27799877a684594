"""Sign-in sessions: a fresh session at every sign-in (no fixation), and sign-out that really
ends it — the session's id is recorded (`SignedOutSession`) until the cookie would have
expired anyway, so a copied cookie stops working too. The check rides on the statement that
loads the user (`access.signed_in_user`)."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app, session
from flask_login import login_user, logout_user

from ..extensions import db
from ..tenancy import utcnow
from .models import SignedOutSession


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
        now = utcnow()
        # Expired entries go as new ones arrive: the table holds one lifetime of sign-outs.
        db.session.execute(sa.delete(SignedOutSession).where(SignedOutSession.expires_at < now))
        if db.session.get(SignedOutSession, sid) is None:  # a copied cookie may sign out twice
            db.session.add(SignedOutSession(sid=sid, expires_at=now + current_app.permanent_session_lifetime))
        db.session.commit()
    logout_user()
    session.clear()
