"""API tokens: belong to a user and a tenant, carry the user's current role there, shown once,
stored hashed, revocable, optionally expiring."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from ..database import adopt, columns_of
from ..extensions import db
from ..tenancy import utcnow

PREFIX = "tsb_"


class ApiToken(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(12))  # the last characters, to recognise a token
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user = relationship("User")
    tenant = relationship("Tenant")

    @property
    def usable(self) -> bool:
        now = utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(user, tenant, name: str = "", expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token; the raw value is returned once and never stored."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, tenant_id=tenant.id, name=name.strip()[:120], token_hash=digest(raw),
                     hint=raw[-6:], expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    return token, raw


@functools.cache
def _find_statement():
    """The token and its user in one Core statement, built once: every API request reads both,
    and on a cached answer (a bureau's roll-up) the ORM's query machinery cost as much as the read."""
    from ..auth.models import User

    token_keys, token_columns = columns_of(ApiToken)
    user_keys, user_columns = columns_of(User)
    statement = (sa.select(*token_columns, *user_columns)
                 .join_from(ApiToken.__table__, User.__table__, User.__table__.c.id == ApiToken.__table__.c.user_id)
                 .where(ApiToken.__table__.c.token_hash == sa.bindparam("digest")))
    return statement, token_keys, User, user_keys


def find(raw: str) -> ApiToken | None:
    if not raw.startswith(PREFIX):
        return None
    statement, token_keys, user_class, user_keys = _find_statement()
    row = db.session.connection().execute(statement, {"digest": digest(raw)}).first()
    if row is None:
        return None
    # ORM instances as a query makes them (saas.database.adopt), the user as the token's loaded
    # `user` (the session holds unchanged instances weakly: only the token keeps it).
    user = adopt(user_class, dict(zip(user_keys, row[len(token_keys):])))
    token = adopt(ApiToken, dict(zip(token_keys, row[:len(token_keys)])))
    set_committed_value(token, "user", user)
    return token


def revoke(token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or utcnow()
