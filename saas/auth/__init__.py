"""Accounts, memberships, roles and permission checks."""

from flask_babel import lazy_gettext as _l

from ..extensions import login_manager
from .models import Membership, User  # noqa: F401  (models registered with the metadata)


@login_manager.user_loader
def _load_user(session_id: str):
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    from .access import signed_in_user

    return signed_in_user(int(user_id), token)


def init_app(app):
    from .views import bp

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)
