"""Who reaches a tenant, and as what: membership, or a reviewer's jurisdiction."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from flask import g, session

from ..database import adopt, columns_of, lone_read
from ..extensions import db
from ..tenancy import Bureau, Tenant, cross_tenant_reads
from .models import Membership, SignedOutSession, User
from .permissions import Access


_ROLE = (Membership.role, Membership.id.label("membership_id"), Membership.enterprise_id)


def resolve_access(user: User, tenant: Tenant) -> Access | None:
    """The user's access inside `tenant` (already in scope), or None: the tenant is then a 404."""
    if not user.is_authenticated or not tenant.active:
        return None
    return _access(user, tenant, db.session.execute(sa.select(*_ROLE).where(Membership.user_id == user.id)).first())


class _Read(NamedTuple):
    """What `signed_in_user` reads in one statement."""
    user: User
    signed_out: bool
    tenant: Tenant | None = None
    role: str | None = None  # the user's membership in `tenant` (role None: none)
    membership_id: int | None = None
    enterprise_id: int | None = None


# Built once: they run on every signed-in request, and building a statement costs as much as
# running it. The user, whether this session was signed out, and, on a tenant page, the tenant
# and the user's membership there: one statement, so a page pays one round trip for all of it.
# Core over the tables rather than an ORM select: `lone_read` runs it without the ORM's
# execution machinery and `adopt` makes the user and tenant ORM instances from the row. Being
# Core, it is not subject to tenant scoping; it reads only the signed-in user's own membership.
_USER_KEYS, _USER_COLUMNS = columns_of(User)
_TENANT_KEYS, _TENANT_COLUMNS = columns_of(Tenant)
_M = Membership.__table__
_SIGNED_OUT = sa.exists().where(SignedOutSession.__table__.c.sid == sa.bindparam("sid")).label("signed_out")
_USER = sa.select(*_USER_COLUMNS, _SIGNED_OUT).where(User.__table__.c.id == sa.bindparam("id"))
_USER_IN_TENANT = (sa.select(*_USER_COLUMNS, _SIGNED_OUT, *_TENANT_COLUMNS,
                             _M.c.role, _M.c.id, _M.c.enterprise_id)
                   .select_from(User.__table__
                                .outerjoin(Tenant.__table__, Tenant.__table__.c.slug == sa.bindparam("slug"))
                                .outerjoin(_M, sa.and_(_M.c.tenant_id == Tenant.__table__.c.id,
                                                       _M.c.user_id == User.__table__.c.id)))
                   .where(User.__table__.c.id == sa.bindparam("id")))
# Where things are in its rows: the user's columns, signed_out, the tenant's, then the membership.
_SIGNED_OUT_AT = len(_USER_KEYS)
_TENANT_AT = _SIGNED_OUT_AT + 1
_TENANT_ID_AT = _TENANT_AT + _TENANT_KEYS.index("id")
_MEMBERSHIP_AT = _TENANT_AT + len(_TENANT_KEYS)


def _read(user_id: int, sid: str | None, slug: str | None) -> _Read | None:
    """The user (None: no such user) and, with a `slug`, the tenant and membership there."""
    if slug is None:
        row = lone_read(_USER, {"id": user_id, "sid": sid})
    else:
        row = lone_read(_USER_IN_TENANT, {"id": user_id, "sid": sid, "slug": slug})
    if row is None:
        return None
    user = adopt(User, dict(zip(_USER_KEYS, row[:_SIGNED_OUT_AT])))
    signed_out = bool(row[_SIGNED_OUT_AT])
    if slug is None or row[_TENANT_ID_AT] is None:  # no tenant has the slug
        return _Read(user, signed_out)
    tenant = adopt(Tenant, dict(zip(_TENANT_KEYS, row[_TENANT_AT:_MEMBERSHIP_AT])))
    return _Read(user, signed_out, tenant, *row[_MEMBERSHIP_AT:])


def signed_in_user(user_id: int, token: str) -> User | None:
    """Flask-Login's user loader: the session's user, unless the account is inactive, the
    password changed since sign-in (`token`), or this session was signed out. On a tenant page
    (`g.tenant_slug`, set before the user is first needed) the same statement reads the tenant
    and the membership, kept in `g` for `enter`."""
    slug = g.get("tenant_slug")
    read = _read(user_id, session.get("sid"), slug)
    if slug is not None:
        g.entered = (user_id, slug, read)
    if read is None or read.signed_out:
        return None
    user = read.user
    return user if user.active and user.session_token == token else None


def enter(user: User, slug: str | None) -> tuple[Tenant | None, Access | None]:
    """The tenant named by `slug` and the user's access there (every tenant page starts here):
    from what `signed_in_user` read, or — if the user was loaded before the slug was known —
    the same statement once more."""
    entered = g.get("entered")
    read = entered[2] if entered is not None and entered[:2] == (user.id, slug) else _read(user.id, None, slug)
    if read is None or read.tenant is None:
        return None, None
    return read.tenant, (_access(user, read.tenant, read) if read.tenant.active else None)


def _access(user: User, tenant: Tenant, membership) -> Access | None:
    """`membership`: has `role`, `membership_id` and `enterprise_id` (role None: no membership), or None."""
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
