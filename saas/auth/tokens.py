"""Signed, expiring links for invitations and password resets.

Each token embeds a fingerprint of the user's current password hash, so it stops working the
moment it is used (the password changes) — single use without a token table.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from .models import User

PURPOSES = {"invite": "INVITATION_MAX_AGE", "reset": "RESET_MAX_AGE"}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"auth-{purpose}")


def make_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "p": user.session_token})


def read_token(token: str, purpose: str) -> User | None:
    """The user a valid token was made for, or None when expired, tampered or already used."""
    max_age = current_app.config[PURPOSES[purpose]]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or user.session_token != data.get("p"):
        return None
    return user
