"""A bureau's guidance to the members of every base of its jurisdiction (LC-4): one
BureauPublication, and in each active base a Publication linked to it, with the base's own copy
of every file (stored under that tenant, like the base's own attachments: no file is shared
between tenants, so no tenant can reach another's through it). Withdrawing withdraws every copy.
The bureau sees, per base, how many member enterprises have read it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _

from saas import files
from saas.extensions import db
from saas.tenancy import Bureau, Tenant, cross_tenant_reads, tenant_scope, utcnow
from tenants.members.models import Enterprise

from .models import BureauPublication, Publication, PublicationRead
from .services import OWNER, withdraw


class NoBaseError(ValueError):
    """The message is for the user."""


def jurisdiction_tenants(bureau: Bureau) -> list[Tenant]:
    return list(db.session.scalars(sa.select(Tenant).where(Tenant.bureau_id.in_(bureau.jurisdiction_ids()),
                                                           Tenant.status == "active").order_by(Tenant.name)))


def publish_across(bureau: Bureau, data: dict, uploads: list, user_id: int) -> BureauPublication:
    """The bureau's publication and one copy in each active base, in this one transaction.
    Every file is checked before any is written (files.UploadError on a bad one)."""
    for storage in uploads:
        files.read_upload(storage)
        storage.stream.seek(0)
    tenants = jurisdiction_tenants(bureau)
    if not tenants:
        raise NoBaseError(_("No active base in this jurisdiction: there is nobody to publish to."))
    parent = BureauPublication(bureau_id=bureau.id, kind=data["kind"], title=data["title"], body=data["body"],
                               sector=data.get("sector") or "", published_by_id=user_id)
    db.session.add(parent)
    db.session.flush()
    for tenant in tenants:
        with tenant_scope(tenant.id):
            copy = Publication(kind=parent.kind, title=parent.title, body=parent.body, sector=parent.sector,
                               published_by_id=user_id, published_at=parent.published_at,
                               bureau_publication_id=parent.id)
            db.session.add(copy)
            db.session.flush()
            for storage in uploads:
                storage.stream.seek(0)
                files.store(storage, OWNER, copy.id, user_id=user_id)
            db.session.flush()
    return parent


def listing(bureau: Bureau):
    return (sa.select(BureauPublication).where(BureauPublication.bureau_id == bureau.id)
            .order_by(BureauPublication.published_at.desc(), BureauPublication.id.desc()))


def publication_or_404(bureau: Bureau, bureau_publication_id: int) -> BureauPublication:
    row = db.session.scalar(sa.select(BureauPublication).where(BureauPublication.id == bureau_publication_id,
                                                               BureauPublication.bureau_id == bureau.id))
    if row is None:
        abort(404)
    return row


def copies(parent: BureauPublication) -> list:
    """(tenant_id, publication id) of every base's copy."""
    with cross_tenant_reads("bureau guidance: the bases' copies of the bureau's publication"):
        return list(db.session.execute(sa.select(Publication.tenant_id, Publication.id)
                                       .where(Publication.bureau_publication_id == parent.id)))


def withdraw_everywhere(parent: BureauPublication) -> bool:
    """Withdraw the bureau's publication and every base's copy (each written inside its own
    tenant, so audited there). False when it was already withdrawn."""
    moved = db.session.execute(
        sa.update(BureauPublication).where(BureauPublication.id == parent.id, BureauPublication.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow()).execution_options(synchronize_session="fetch")).rowcount
    if not moved:
        return False
    for tenant_id, publication_id in copies(parent):
        with tenant_scope(tenant_id):
            withdraw(db.session.get(Publication, publication_id))
            db.session.flush()
    return True


def readers_per_base(parent: BureauPublication) -> list:
    """Per base: member enterprises (withdrawn ones left out) and how many of them have read its
    copy — two grouped statements across the bases, whatever their number."""
    with cross_tenant_reads("bureau guidance: who has read the bureau's publication, counted per base"):
        rows = db.session.execute(
            sa.select(Tenant.id.label("tenant_id"), Tenant.name, Tenant.slug, Publication.id.label("publication_id"),
                      sa.func.count(sa.distinct(PublicationRead.enterprise_id)).label("read"),
                      sa.func.count(PublicationRead.id).label("readers"))
            .join(Tenant, Tenant.id == Publication.tenant_id)
            .outerjoin(PublicationRead, sa.and_(PublicationRead.tenant_id == Publication.tenant_id,
                                                PublicationRead.publication_id == Publication.id))
            .where(Publication.bureau_publication_id == parent.id)
            .group_by(Tenant.id, Tenant.name, Tenant.slug, Publication.id)
            .order_by(Tenant.name)).all()
        members = dict(db.session.execute(
            sa.select(Enterprise.tenant_id, sa.func.count(Enterprise.id))
            .where(Enterprise.tenant_id.in_([r.tenant_id for r in rows]), Enterprise.status != "withdrawn")
            .group_by(Enterprise.tenant_id)).all()) if rows else {}
    return [{"tenant_id": r.tenant_id, "name": r.name, "slug": r.slug, "read": r.read, "readers": r.readers,
             "members": members.get(r.tenant_id, 0)} for r in rows]


def attachments(parent: BureauPublication) -> list:
    """The files as published (those of one base's copy: every copy has the same)."""
    with cross_tenant_reads("bureau guidance: the files of the bureau's publication"):
        first = db.session.scalar(sa.select(Publication).where(Publication.bureau_publication_id == parent.id)
                                  .order_by(Publication.id).limit(1))
        if first is None:
            return []
        return list(db.session.scalars(
            sa.select(files.Attachment).where(files.Attachment.tenant_id == first.tenant_id,
                                              files.Attachment.owner_type == OWNER,
                                              files.Attachment.owner_id == first.id)
            .order_by(files.Attachment.created_at.desc(), files.Attachment.id.desc())))


def attachment_or_404(parent: BureauPublication, attachment_id: int):
    """A file of one of the copies of this bureau publication, else 404."""
    with cross_tenant_reads("bureau guidance: a file of the bureau's publication"):
        attachment = db.session.scalar(
            sa.select(files.Attachment)
            .join(Publication, sa.and_(Publication.tenant_id == files.Attachment.tenant_id,
                                       Publication.id == files.Attachment.owner_id))
            .where(files.Attachment.id == attachment_id, files.Attachment.owner_type == OWNER,
                   Publication.bureau_publication_id == parent.id))
    if attachment is None:
        abort(404)
    return attachment
