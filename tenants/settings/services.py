"""Managing a tenant's own users and roles."""

from __future__ import annotations

from flask_babel import gettext as _

from saas.auth.models import Membership, User
from saas.auth.services import AccountError, grant, other_admins
from saas.extensions import db


def change_role(membership: Membership, role: str) -> None:
    grant(membership.user, membership.tenant, role, membership.enterprise_id)


def remove(membership: Membership, acting_user: User) -> None:
    if membership.user_id == acting_user.id:
        raise AccountError(_("You cannot remove yourself."))
    if membership.role == "admin" and other_admins(membership) == 0:
        raise AccountError(_("A tenant needs at least one administrator."))
    db.session.delete(membership)
