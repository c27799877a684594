"""Accounts, memberships, roles and permission checks."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from .models import Membership, User  # noqa: F401  (models registered with the metadata)


# Built once: it runs on every signed-in request.
_USER = sa.select(User).where(User.id == sa.bindparam("id"))


@login_manager.user_loader
def _load_user(session_id: str):
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.scalar(_USER, {"id": int(user_id)})
    if user is None or not user.active or user.session_token != token:
        return None
    from flask import session

    from .sessions import signed_out

    if signed_out(session.get("sid")):
        return None
    return user


def init_app(app):
    from .views import bp

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)
