"""The tenant audit log: who created, changed, changed the status of or deleted which tenant
object, when, with old and new values. Recorded automatically at flush for every TenantScoped
model (opt out with `__audited__ = False`), so features get it without writing a line."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from .bulk import insert_rows
from .extensions import db
from .tenancy import TenantScoped, utcnow

# export: personal data left the app (a roster with contacts, a person's data); erase: a person's
# data erased on request (tenants/members/privacy.py). Both recorded explicitly with `record`.
ACTIONS = ("create", "update", "status", "delete", "export", "erase")
# Never copied into the log.
SECRET_FIELDS = {"password_hash"}


class AuditEvent(TenantScoped, db.Model):
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(16))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.Index("ix_audit_event_tenant_object", "tenant_id", "object_type", "object_id"),
        sa.Index("ix_audit_event_tenant_created", "tenant_id", "created_at"),
    )


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _changes(obj, new: bool, deleted: bool) -> dict:
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SECRET_FIELDS or key in ("id", "tenant_id"):
            continue
        if new or deleted:
            value = getattr(obj, key) if new else state.committed_state.get(key, getattr(obj, key, None))
            if value not in (None, "", False):  # a new row's empty defaults say nothing
                out[key] = [None, _plain(value)] if new else [_plain(value), None]
            continue
        history = state.attrs[key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            value = history.added[0] if history.added else None
            if old != value:
                out[key] = [_plain(old), _plain(value)]
    return out


_acting_user: contextvars.ContextVar[int | None] = contextvars.ContextVar("acting_user", default=None)


@contextmanager
def acting_as(user_id: int | None):
    """Attribute changes made outside a request (a job) to the user who started the work."""
    token = _acting_user.set(user_id)
    try:
        yield
    finally:
        _acting_user.reset(token)


def _actor() -> int | None:
    if has_request_context():
        if current_user and current_user.is_authenticated:
            return current_user.id
        api_user = g.get("api_user")  # an API token's user (saas/api tenant_route)
        if api_user is not None:
            return api_user.id
    return _acting_user.get()


UNRECORDED = "audit.unrecorded"  # session.info key: objects whose next flush is not recorded


def _audited(obj) -> bool:
    return isinstance(obj, TenantScoped) and getattr(obj, "__audited__", True)


def unrecorded(obj) -> None:
    """Leave `obj`'s pending change out of the log (an erasure: the old values are what must go);
    the caller records what happened with `record` instead."""
    db.session.info.setdefault(UNRECORDED, set()).add(id(obj))


def record(action: str, object_type: str, object_id: int, label="", changes: dict | None = None) -> None:
    """An explicit event (an export, an erasure) in the current tenant, by the current user."""
    from .tenancy import current_tenant_id

    if action not in ACTIONS:
        raise ValueError(action)
    db.session.execute(sa.insert(AuditEvent.__table__),
                       [_event(current_tenant_id(), _actor(), action, object_type, object_id, label, changes or {})])


def redact(object_type: str, object_ids, fields: dict, label: str | None = None) -> int:
    """Overwrite the stored values of `fields` (name → replacement) in every event of these
    objects, and their label: what an erasure must reach too. The number of events rewritten."""
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == object_type,
                                                            AuditEvent.object_id.in_(list(object_ids)))).all()
    for event_row in events:
        changes = {key: ([fields[key] if v not in (None, "") else v for v in value] if key in fields else value)
                   for key, value in (event_row.changes or {}).items()}
        if changes != event_row.changes:
            event_row.changes = changes
        if label is not None and event_row.label != label:
            event_row.label = label
    return len(events)


def _event(tenant_id: int, user_id: int | None, action: str, object_type: str, object_id: int, label,
           changes: dict, at: datetime | None = None) -> dict:
    """One audit_event row, as the flush hook and bulk writers insert it."""
    return {"tenant_id": tenant_id, "user_id": user_id, "action": action, "object_type": object_type,
            "object_id": object_id, "label": str(label or "")[:200], "changes": changes, "created_at": at or utcnow()}


@event.listens_for(Session, "after_flush")
def _record(session, flush_context):
    rows = []
    user_id = _actor()
    skip = session.info.pop(UNRECORDED, ())
    for group, new, deleted in ((session.new, True, False), (session.dirty, False, False),
                                (session.deleted, False, True)):
        for obj in group:
            if not _audited(obj) or id(obj) in skip:
                continue
            changes = _changes(obj, new, deleted)
            if not changes and not (new or deleted):
                continue
            action = "create" if new else "delete" if deleted else "status" if "status" in changes else "update"
            rows.append(_event(obj.tenant_id, user_id, action, type(obj).__name__, obj.id,
                               getattr(obj, "audit_label", ""), changes))
    if rows:
        # Core insert: adding ORM objects inside a flush is not allowed.
        session.connection().execute(sa.insert(AuditEvent.__table__), rows)


def record_created(model, rows: list[dict], label) -> None:
    """The "create" events of rows a bulk INSERT wrote, which the flush hook never sees: the same
    events, with the same kind of changes, as if each row had been added as an object."""
    user_id, at = _actor(), utcnow()  # one write, one moment
    events = [_event(row["tenant_id"], user_id, "create", model.__name__, row["id"], label(row),
                     {k: [None, _plain(v)] for k, v in row.items()
                      if k not in ("id", "tenant_id") and k not in SECRET_FIELDS and v not in (None, "", False)}, at)
              for row in rows]
    insert_rows(AuditEvent.__table__, events)


def user_names(events) -> dict[int, str]:
    """Names of the people behind `events`, in one query."""
    from .auth.models import User

    ids = {e.user_id for e in events if e.user_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())


def recent_events(object_type: str, object_id: int, limit: int = 20):
    events = list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id.desc()).limit(limit)))
    return events, user_names(events)
