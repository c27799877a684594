"""Creating and changing tenants and bureaus (used by /admin and the CLI alike)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from tenants.schemes.standards import STANDARDS, derive

from ..extensions import db
from ..tenant_lifecycle import mark_status
from ..tenancy import BUREAU_LEVELS, SLUG_RE, TENANT_KINDS, Bureau, Tenant

LEVEL_ORDER = {"district": 0, "city": 1, "province": 2}


class AdminError(ValueError):
    """The message is for the user."""


def bureau_by_name(name: str) -> Bureau | None:
    return db.session.scalar(sa.select(Bureau).where(Bureau.name == name.strip()))


def check_bureau(bureau: Bureau, name: str, level: str, parent: Bureau | None) -> None:
    if level not in BUREAU_LEVELS:
        raise AdminError(_("Unknown bureau level."))
    other = bureau_by_name(name)
    if other is not None and other is not bureau:
        raise AdminError(_("A bureau with this name already exists."))
    if bureau.id is not None and any(LEVEL_ORDER[c.level] >= LEVEL_ORDER[level] for c in bureau.children):
        raise AdminError(_("A bureau must be of a higher level than the bureaus under it."))
    if parent is not None:
        if LEVEL_ORDER[parent.level] <= LEVEL_ORDER[level]:
            raise AdminError(_("The parent bureau must be of a higher level."))
        if bureau.id is not None and parent.id in bureau.jurisdiction_ids():
            raise AdminError(_("A bureau cannot be placed under itself."))


def save_bureau(bureau: Bureau | None, name: str, level: str, parent: Bureau | None) -> Bureau:
    bureau = bureau or Bureau()
    check_bureau(bureau, name, level, parent)
    bureau.name, bureau.level, bureau.parent = name.strip(), level, parent
    db.session.add(bureau)
    db.session.flush()
    return bureau


def save_tenant(tenant: Tenant | None, *, slug: str, name: str, kind: str, region: str = "",
                default_locale: str = "zh_CN", bureau: Bureau | None = None,
                status: str = "active", standard: str | None = None) -> Tenant:
    """`standard`: a set of standards (tenants/schemes/standards.py); "" takes the one of the
    bureau's region; None keeps the tenant's (a new tenant: the region's)."""
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise AdminError(_("The short name may use lower-case letters, digits and dashes only."))
    if kind not in TENANT_KINDS:
        raise AdminError(_("Unknown tenant kind."))
    if standard and standard not in STANDARDS:
        raise AdminError(_("Standards: choose one of the listed sets."))
    other = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if other is not None and other is not tenant:
        raise AdminError(_("This short name is taken."))
    tenant = tenant or Tenant()
    tenant.slug, tenant.name, tenant.kind = slug, name.strip(), kind
    tenant.region, tenant.default_locale, tenant.bureau, tenant.status = region.strip(), default_locale, bureau, status
    mark_status(tenant)  # the suspension dates follow the status (saas/tenant_lifecycle.py)
    # Stored, not recomputed: a base keeps its rules when its bureau changes, until the admin
    # chooses again. "" stays only where no set's place is named (every set is then offered).
    tenant.standard = (tenant.standard if standard is None else standard) or derive(bureau, tenant.region)
    db.session.add(tenant)
    db.session.flush()
    return tenant
