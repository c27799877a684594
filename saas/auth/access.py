"""Who reaches a tenant, and as what: membership, or a reviewer's jurisdiction."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, session

from ..database import autocommit_bind
from ..extensions import db
from ..tenancy import Bureau, Tenant, cross_tenant_reads
from .models import Membership, SignedOutSession, User
from .permissions import Access


def resolve_access(user: User, tenant: Tenant) -> Access | None:
    """The user's access inside `tenant` (already in scope), or None: the tenant is then a 404."""
    if not user.is_authenticated or not tenant.active:
        return None
    return _access(user, tenant, db.session.execute(sa.select(*_ROLE).where(Membership.user_id == user.id)).first())


# Built once: they run on every signed-in request, and building a statement costs as much as
# running it. The user, whether this session was signed out, and, on a tenant page, the tenant
# and the user's membership there: one statement, so a page pays one round trip for all of it.
# The membership as plain columns: only these three are needed, and an entity costs more to load.
_ROLE = (Membership.role, Membership.id.label("membership_id"), Membership.enterprise_id)
_SIGNED_OUT = sa.exists().where(SignedOutSession.sid == sa.bindparam("sid")).label("signed_out")
_USER = sa.select(User, _SIGNED_OUT).where(User.id == sa.bindparam("id"))
_USER_IN_TENANT = (sa.select(User, _SIGNED_OUT, Tenant, *_ROLE)
                   .select_from(User)
                   .outerjoin(Tenant, Tenant.slug == sa.bindparam("slug"))
                   .outerjoin(Membership, sa.and_(Membership.tenant_id == Tenant.id, Membership.user_id == User.id))
                   .where(User.id == sa.bindparam("id")))


def signed_in_user(user_id: int, token: str) -> User | None:
    """Flask-Login's user loader: the session's user, unless the account is inactive, the
    password changed since sign-in (`token`), or this session was signed out. On a tenant page
    (`g.tenant_slug`, set before the user is first needed) the same statement reads the tenant
    and the membership for `enter`."""
    sid, slug = session.get("sid"), g.get("tenant_slug")
    if slug is None:
        row = db.session.execute(_USER, {"id": user_id, "sid": sid}, bind_arguments={"bind": autocommit_bind()}).first()
    else:
        row = _read_in_tenant(user_id, sid, slug)
    if row is None or row.signed_out:
        return None
    user = row.User
    return user if user.active and user.session_token == token else None


def _read_in_tenant(user_id: int, sid: str | None, slug: str):
    """The `_USER_IN_TENANT` row, kept in `g` for `enter` (None: no such user)."""
    with cross_tenant_reads("the signed-in user's own membership in the tenant of the URL"):
        row = db.session.execute(_USER_IN_TENANT, {"id": user_id, "sid": sid, "slug": slug},
                                 bind_arguments={"bind": autocommit_bind()}).first()
    g.entered = (user_id, slug, row)
    return row


def enter(user: User, slug: str | None) -> tuple[Tenant | None, Access | None]:
    """The tenant named by `slug` and the user's access there (every tenant page starts here):
    from the row `signed_in_user` read, or — if the user was loaded before the slug was known —
    the same statement once more."""
    entered = g.get("entered")
    row = entered[2] if entered is not None and entered[:2] == (user.id, slug) \
        else _read_in_tenant(user.id, None, slug)
    if row is None or row.Tenant is None:
        return None, None
    return row.Tenant, (_access(user, row.Tenant, row) if row.Tenant.active else None)


def _access(user: User, tenant: Tenant, membership) -> Access | None:
    """`membership`: a row with the `_ROLE` columns (role None: no membership), or None."""
    if membership is not None and membership.role is not None:
        return Access(membership.role, membership.membership_id, membership.enterprise_id)
    if user.is_reviewer and tenant.bureau_id in user.bureau.jurisdiction_ids():
        return Access("reviewer")
    return None


def reachable_tenants(user: User) -> list[tuple[Tenant, str]]:
    """(tenant, role) pairs for the "my tenants" page: memberships, then jurisdiction."""
    with cross_tenant_reads("a user lists their own memberships"):
        rows = db.session.execute(
            sa.select(Tenant, Membership.role)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == user.id, Tenant.status == "active")
            .order_by(Tenant.name)
        ).all()
    result = [(t, role) for t, role in rows]
    if user.is_reviewer:
        seen = {t.id for t, _ in result}
        bureau_ids = db.session.get(Bureau, user.bureau_id).jurisdiction_ids()
        for tenant in db.session.scalars(
            sa.select(Tenant)
            .where(Tenant.bureau_id.in_(bureau_ids), Tenant.status == "active")
            .order_by(Tenant.name)
        ):
            if tenant.id not in seen:
                result.append((tenant, "reviewer"))
    return result
