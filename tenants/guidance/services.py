"""Publishing, withdrawing and reading guidance; the readers of one publication."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.exc import IntegrityError

from saas import files
from saas.extensions import db
from saas.tenancy import utcnow
from tenants.members.models import Enterprise

from .models import Publication, PublicationRead

OWNER = "publication"  # the attachments' owner_type


def publication_or_404(publication_id: int, members_view: bool) -> Publication:
    """The publication of this tenant; for members (who cannot publish) only while it is out."""
    select = sa.select(Publication).where(Publication.id == publication_id)
    if members_view:
        select = select.where(Publication.withdrawn_at.is_(None))
    publication = db.session.scalar(select)
    if publication is None:
        abort(404)
    return publication


def listing(kind: str | None, q: str, members_view: bool):
    """Newest first, filtered by kind and by words in the title, sector or text."""
    select = sa.select(Publication).order_by(Publication.published_at.desc(), Publication.id.desc())
    if members_view:
        select = select.where(Publication.withdrawn_at.is_(None))
    if kind:
        select = select.where(Publication.kind == kind)
    if q:
        select = select.where(sa.or_(Publication.title.icontains(q, autoescape=True),
                                     Publication.sector.icontains(q, autoescape=True),
                                     Publication.body.icontains(q, autoescape=True)))
    return select


def publish(data: dict, uploads: list, user_id: int) -> Publication:
    """A new publication with its files; raises files.UploadError on a bad file. Every file is
    checked before any is written, so a refused one leaves no other behind on disk."""
    for storage in uploads:
        files.read_upload(storage)
        storage.stream.seek(0)
    publication = Publication(kind=data["kind"], title=data["title"], body=data["body"],
                              sector=data.get("sector") or "", published_by_id=user_id)
    db.session.add(publication)
    db.session.flush()
    for storage in uploads:
        files.store(storage, OWNER, publication.id, user_id=user_id)
    return publication


def withdraw(publication: Publication) -> None:
    if publication.withdrawn_at is None:
        publication.withdrawn_at = utcnow()


def mark_read(publication_id: int, enterprise_id: int, user_id: int) -> None:
    """Record the first time this user opens it; opening it again (or twice at once) adds nothing."""
    exists = db.session.scalar(sa.select(PublicationRead.id).where(
        PublicationRead.publication_id == publication_id, PublicationRead.user_id == user_id))
    if exists is not None:
        return
    try:
        with db.session.begin_nested():  # a double request racing past the check above
            db.session.add(PublicationRead(publication_id=publication_id, enterprise_id=enterprise_id,
                                           user_id=user_id))
    except IntegrityError:
        pass


def latest_for(user_id: int, limit: int = 5) -> list[tuple[Publication, bool]]:
    """The newest publications out now, each with whether this user has read it (one query)."""
    read = sa.exists().where(PublicationRead.tenant_id == Publication.tenant_id,
                             PublicationRead.publication_id == Publication.id, PublicationRead.user_id == user_id)
    rows = db.session.execute(sa.select(Publication, read.label("read")).where(Publication.withdrawn_at.is_(None))
                              .order_by(Publication.published_at.desc(), Publication.id.desc()).limit(limit))
    return [(p, bool(r)) for p, r in rows]


def readers(publication_id: int) -> list:
    """Every member enterprise (withdrawn members left out) with how many of its users read the
    publication and when first: one grouped query, whatever the number of members."""
    reads = sa.and_(PublicationRead.tenant_id == Enterprise.tenant_id,
                    PublicationRead.enterprise_id == Enterprise.id,
                    PublicationRead.publication_id == publication_id)
    return list(db.session.execute(
        sa.select(Enterprise.id, Enterprise.name, sa.func.count(PublicationRead.id).label("readers"),
                  sa.func.min(PublicationRead.read_at).label("first_read_at"))
        .outerjoin(PublicationRead, reads)
        .where(Enterprise.status != "withdrawn")
        .group_by(Enterprise.id, Enterprise.name)
        .order_by(sa.func.count(PublicationRead.id) == 0, Enterprise.name)))
