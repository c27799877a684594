"""Managing a tenant's own users and roles."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from saas.auth.models import Membership, User
from saas.auth.services import AccountError, grant
from saas.extensions import db


def _admins_left(excluding: Membership) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Membership.id)).where(Membership.role == "admin", Membership.id != excluding.id)
    )


def change_role(membership: Membership, role: str) -> None:
    if membership.role == "admin" and role != "admin" and _admins_left(membership) == 0:
        raise AccountError(_("A tenant needs at least one administrator."))
    grant(membership.user, membership.tenant, role, membership.enterprise_id)


def remove(membership: Membership, acting_user: User) -> None:
    if membership.user_id == acting_user.id:
        raise AccountError(_("You cannot remove yourself."))
    if membership.role == "admin" and _admins_left(membership) == 0:
        raise AccountError(_("A tenant needs at least one administrator."))
    db.session.delete(membership)
