"""Who reaches a tenant, and as what: membership, or a reviewer's jurisdiction."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..tenancy import Bureau, Tenant, cross_tenant_reads
from .models import Membership, User
from .permissions import Access


def resolve_access(user: User, tenant: Tenant) -> Access | None:
    """The user's access inside `tenant` (already in scope), or None: the tenant is then a 404."""
    if not user.is_authenticated or not tenant.active:
        return None
    return _access(user, tenant, db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id)))


# Built once: every tenant page runs it, and building a statement costs as much as running it.
_ENTER = (sa.select(Tenant, Membership)
          .outerjoin(Membership, sa.and_(Membership.tenant_id == Tenant.id,
                                         Membership.user_id == sa.bindparam("user_id")))
          .where(Tenant.slug == sa.bindparam("slug")))


def enter(user: User, slug: str | None) -> tuple[Tenant | None, Access | None]:
    """The tenant named by `slug` and the user's access there, with the membership read in the
    same statement (every tenant page starts here)."""
    with cross_tenant_reads("a tenant and the user's own membership in it"):
        row = db.session.execute(_ENTER, {"slug": slug, "user_id": user.id}).first()
    if row is None:
        return None, None
    tenant, membership = row
    return tenant, (_access(user, tenant, membership) if tenant.active else None)


def _access(user: User, tenant: Tenant, membership: Membership | None) -> Access | None:
    if membership is not None:
        return Access(membership.role, membership.id, membership.enterprise_id)
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
