"""Published guidance (LC-4): notices, sector guidelines and typical cases a base publishes to
its member enterprises, and who of them has read each one."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

KINDS = ("notice", "guideline", "case")
TITLE_MAX = 200
BODY_MAX = 20000


class Publication(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text, default="")  # plain text, shown escaped
    sector: Mapped[str] = mapped_column(sa.String(120), default="")  # the industry a guideline is for
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Withdrawn, never deleted: members no longer see it, the publisher keeps it and its readers.
    withdrawn_at: Mapped[datetime | None]
    # Set on the copies of a bureau's publication to the members of every base of its jurisdiction.
    bureau_publication_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bureau_publication.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.CheckConstraint("kind IN ('notice', 'guideline', 'case')", name="kind"),
        sa.Index("ix_publication_tenant_published", "tenant_id", "published_at"),
        sa.Index("ix_publication_tenant_bureau_publication", "tenant_id", "bureau_publication_id"),
    )

    @property
    def audit_label(self) -> str:
        return self.title


class BureauPublication(db.Model):
    """A bureau's publication to the members of every active base of its jurisdiction (LC-4):
    the text is here and in one Publication per base (bureau_publication_id), each with its own
    copy of the files under that tenant, so a base's members read it like the base's own."""

    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_id: Mapped[int] = mapped_column(sa.ForeignKey("bureau.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    sector: Mapped[str] = mapped_column(sa.String(120), default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]

    __table_args__ = (
        sa.CheckConstraint("kind IN ('notice', 'guideline', 'case')", name="kind"),
        sa.Index("ix_bureau_publication_bureau_published", "bureau_id", "published_at"),
    )


class PublicationRead(TenantScoped, db.Model):
    """One user of a member enterprise opened one publication (the first time)."""

    __audited__ = False  # reading is not a change of business data; this row is its own record

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(sa.ForeignKey("publication.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    read_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "publication_id", "user_id"),
        sa.Index("ix_publication_read_tenant_enterprise", "tenant_id", "enterprise_id"),
    )
