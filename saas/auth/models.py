"""Users of the platform and their memberships in tenants."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..tenancy import Bureau, Tenant, TenantScoped, utcnow

TENANT_ROLES = ("admin", "staff", "enterprise", "instructor")
BUREAU_ROLES = ("instructor", "reviewer")


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # Empty until an invited user sets a password through the emailed link.
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    bureau_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bureau.id"), index=True)
    bureau_role: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    bureau: Mapped[Bureau | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("bureau_role IS NULL OR bureau_role IN ('instructor', 'reviewer')", name="bureau_role"),
    )

    @staticmethod
    def normalise_email(email: str) -> str:
        return (email or "").strip().lower()

    @classmethod
    def by_email(cls, email: str) -> User | None:
        return db.session.scalar(sa.select(cls).where(cls.email == cls.normalise_email(email)))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def session_token(self) -> str:
        """Changes with the password, so a password change signs out other sessions."""
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_reviewer(self) -> bool:
        return self.bureau_role == "reviewer" and self.bureau_id is not None

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class SignedOutSession(db.Model):
    """A sign-in session ended by signing out. Its id stays here until the cookie would have
    expired anyway, so a copy of the cookie stops working too. Kept in the database, not in
    Redis, because the user's row is read on every request anyway: the check joins it."""

    sid: Mapped[str] = mapped_column(sa.String(43), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class KnownSignIn(db.Model):
    """A device (its cookie) or an address from which the user has signed in. A stranger's
    failed attempts lock an account for new devices and addresses only: the owner signing in
    from a known one is counted apart (saas/auth/throttle.py). Only hashes are kept."""

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Membership(TenantScoped, db.Model):
    """A user's role in one tenant. Reviewers need none: their bureau's jurisdiction decides."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    # The member enterprise an `enterprise` user acts for (tenants.members).
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    tenant: Mapped[Tenant] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "user_id"),
        sa.CheckConstraint("role IN ('admin', 'staff', 'enterprise', 'instructor')", name="role"),
    )


class TenantInvitation(TenantScoped, db.Model):
    """An invitation of an account that already exists into a tenant. The account's owner
    accepts or declines it: a tenant admin cannot add someone else's account (a platform
    admin's, another base's reviewer's) to their tenant and then read what it holds."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    tenant: Mapped[Tenant] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "user_id"),
        sa.CheckConstraint("role IN ('admin', 'staff', 'enterprise', 'instructor')", name="role"),
    )

    @property
    def audit_label(self) -> str:
        return self.user.email
