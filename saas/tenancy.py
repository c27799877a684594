"""Tenants, bureaus and the tenant scope every tenant-owned read and write goes through.

How isolation works (DESIGN.md, "Tenant isolation"):

* Tenant-owned models inherit `TenantScoped`: a `tenant_id NOT NULL` column, indexed.
* The current tenant lives in a context variable, set by the `/t/<tenant_slug>` url processor for
  a request and by `tenant_scope()` in jobs and CLI commands.
* Every ORM SELECT touching a TenantScoped model gets `tenant_id = <current>` added through
  `with_loader_criteria`; with no tenant in scope such a SELECT raises instead of returning
  everybody's rows (fail closed).
* New TenantScoped objects get `tenant_id` on flush; writing another tenant's row raises.
* The only way to read across tenants on purpose is `cross_tenant_reads(reason)` — one name to
  grep for in review.
"""

from __future__ import annotations

import contextvars
import re
import secrets
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.sql import util as sql_util
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship, with_loader_criteria

from .extensions import db

TENANT_KINDS = ("park", "association")
TENANT_STATUSES = ("active", "suspended")
BUREAU_LEVELS = ("district", "city", "province")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned table was touched with no tenant in scope, or across tenants."""


_current_tenant_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("tenant_id", default=None)
_cross_tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("cross_tenant", default=None)
# While a flush writes rows of one tenant with no tenant in scope (objects added inside a
# tenant_scope block and flushed after it): that tenant, for the database's row-level security.
_flush_tenant: contextvars.ContextVar[int | None] = contextvars.ContextVar("flush_tenant", default=None)


def current_tenant_id() -> int | None:
    return _current_tenant_id.get()


def flush_tenant_id() -> int | None:
    return _flush_tenant.get()


def set_tenant(tenant_id: int | None) -> contextvars.Token:
    """Enter a tenant for the rest of this context (the request); returns a reset token."""
    return _current_tenant_id.set(tenant_id)


def reset_tenant(token: contextvars.Token) -> None:
    _current_tenant_id.reset(token)


@contextmanager
def tenant_scope(tenant_id: int):
    """Run a block (a job, a CLI command) inside one tenant."""
    token = _current_tenant_id.set(int(tenant_id))
    try:
        yield
    finally:
        _current_tenant_id.reset(token)


@contextmanager
def cross_tenant_reads(reason: str):
    """THE escape hatch: read tenant-owned rows of several tenants on purpose.

    `reason` documents the use at the call site (bureau dashboards, platform admin, a user's own
    memberships). Writes are still checked per object.
    """
    if not reason:
        raise ValueError("cross_tenant_reads needs a reason")
    token = _cross_tenant.set(reason)
    try:
        yield
    finally:
        _cross_tenant.reset(token)


class TenantScoped:
    """Mixin for tenant-owned models: adds tenant_id and opts the model into scoping."""

    __tenant_scoped__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False, index=True)


_scoped_cache: tuple[int, frozenset] = (-1, frozenset())


def _scoped_tables() -> frozenset:
    # Recomputed only when a model is added (tests define some); else once per process.
    global _scoped_cache
    mappers = db.Model.registry.mappers
    if _scoped_cache[0] != len(mappers):
        _scoped_cache = (len(mappers), frozenset(m.local_table for m in mappers
                                                 if getattr(m.class_, "__tenant_scoped__", False)))
    return _scoped_cache[1]


@event.listens_for(Session, "do_orm_execute")
def _scope_selects(state):
    if not state.is_select or _cross_tenant.get() is not None:
        return
    # Column refreshes re-read rows that a scoped query already returned: the ORM lets them
    # through, and the database's row-level security is told the row's own tenant (kept on the
    # object when it was loaded or written) for this statement.
    if state.is_column_load:
        refreshed = state.load_options._refresh_state
        tenant_id = refreshed.info.get("tenant_id") if refreshed is not None else None
        if tenant_id is None or _current_tenant_id.get() is not None:
            return
        token = _flush_tenant.set(tenant_id)
        try:
            return state.invoke_statement()
        finally:
            _flush_tenant.reset(token)
    tenant_id = _current_tenant_id.get()
    if tenant_id is None:
        # Fail closed: any tenant-owned table anywhere in the statement (entity, select_from,
        # join, subquery) needs a tenant in scope or the named escape hatch.
        if _scoped_tables() & set(sql_util.find_tables(state.statement, check_columns=True, include_joins=True,
                                                       include_aliases=True, include_crud=True)):
            raise TenantScopeError("tenant-owned rows read with no tenant in scope")
        return
    state.statement = scoped(state.statement, tenant_id)


# A statement kept between requests (built once, functools.lru_cache) → its scoped copies by
# tenant. SQLAlchemy memoises a statement's cache key on the statement object; a scoped copy
# made afresh on every execution had its key generated again each time — a walk of the whole
# statement, 2–3 ms for the hundred expressions of the tenant metrics' member pass, and a tenth
# of a first view after a change (issue 23). Weak keys: a statement built for one request goes
# with it. A few tenants per statement: a worker serves many tenants, each kept copy holds its key.
_SCOPED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SCOPED_TENANTS = 4


def scoped(statement, tenant_id: int):
    """`statement` with `tenant_id = <tenant_id>` on every scoped entity: with_loader_criteria
    reaches each occurrence, however the statement names it (columns, select_from, joins,
    aliases). The same object for the same statement and tenant while both live."""
    try:
        kept = _SCOPED.get(statement)
    except TypeError:  # not weakly referenceable: made afresh
        kept = None
    if kept is not None and tenant_id in kept:
        return kept[tenant_id]
    result = statement.options(
        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True))
    try:
        if kept is None:
            kept = _SCOPED[statement] = {}
        elif len(kept) >= _SCOPED_TENANTS:
            kept.pop(next(iter(kept)))  # the tenant kept longest
        kept[tenant_id] = result
    except TypeError:
        pass
    return result


@event.listens_for(Session, "transient_to_pending")
def _stamp_on_add(session, obj):
    # Stamped when added, so an object added inside a tenant_scope block keeps its tenant
    # even if the flush happens after the block.
    if getattr(obj, "__tenant_scoped__", False) and obj.tenant_id is None:
        obj.tenant_id = _current_tenant_id.get()


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session, flush_context, instances):
    tenant_id = _current_tenant_id.get()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not getattr(obj, "__tenant_scoped__", False):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise TenantScopeError(f"new {type(obj).__name__} with no tenant in scope")
            obj.tenant_id = tenant_id
        elif tenant_id is not None and obj.tenant_id != tenant_id:
            raise TenantScopeError(f"{type(obj).__name__} of another tenant written")
    if tenant_id is None:
        # Rows of one tenant written with none in scope (added inside a tenant_scope block,
        # flushed after it): the database's row-level security is told that tenant for this
        # flush only (saas/rls.py). Rows of several tenants get none, and the database refuses.
        owners = {obj.tenant_id for obj in list(session.new) + list(session.dirty) + list(session.deleted)
                  if getattr(obj, "__tenant_scoped__", False)}
        if len(owners) == 1:
            session.info["flush_tenant"] = _flush_tenant.set(owners.pop())


def _remember_tenant(target, *_args) -> None:
    """The tenant of a loaded or written tenant-owned object, for its later refreshes."""
    tenant_id = target.__dict__.get("tenant_id")
    if tenant_id is not None:
        sa.inspect(target).info["tenant_id"] = tenant_id


event.listen(TenantScoped, "load", _remember_tenant, propagate=True)
event.listen(TenantScoped, "refresh", _remember_tenant, propagate=True)


@event.listens_for(Session, "pending_to_persistent")
def _written(session, instance):
    if getattr(instance, "__tenant_scoped__", False):
        _remember_tenant(instance)


@event.listens_for(Session, "after_flush_postexec")
def _flush_done(session, flush_context):
    token = session.info.pop("flush_tenant", None)
    if token is not None:
        _flush_tenant.reset(token)


@event.listens_for(Session, "after_soft_rollback")
def _flush_failed(session, previous_transaction):
    token = session.info.pop("flush_tenant", None)  # a flush that raised never reached postexec
    if token is not None:
        _flush_tenant.set(None)


class Bureau(db.Model):
    """A market supervision bureau: district, city or province, nested by `parent`."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    level: Mapped[str] = mapped_column(sa.String(16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bureau.id"), index=True)
    # The yearly application window as MM-DD (TJ-6 defaults: 1 May – 15 June).
    application_opens: Mapped[str] = mapped_column(sa.String(5), default="05-01", server_default="05-01")
    application_closes: Mapped[str] = mapped_column(sa.String(5), default="06-15", server_default="06-15")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Bureau | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Bureau]] = relationship(back_populates="parent")

    __table_args__ = (sa.CheckConstraint("level IN ('district', 'city', 'province')", name="level"),)

    def tree(self):
        """A recursive CTE of this bureau's id and every bureau's below it (column `id`)."""
        return subtree(self.id)

    def jurisdiction_ids(self) -> list[int]:
        """This bureau and every bureau below it, by one recursive query."""
        return list(db.session.scalars(sa.select(self.tree().c.id)))

    def __repr__(self) -> str:
        return f"<Bureau {self.name}>"


def subtree(bureau_id, *columns, name: str = "tree"):
    """A recursive CTE of `bureau_id` (a value or a bound parameter) and every bureau below it:
    column `id` and the Bureau `columns` asked for. One bound value where an IN list of a
    province's bureaus would send (and have the driver parse) fifty."""
    tree = sa.select(Bureau.id, *columns).where(Bureau.id == bureau_id).cte(name, recursive=True)
    return tree.union_all(sa.select(Bureau.id, *columns).where(Bureau.parent_id == tree.c.id))


def new_data_version() -> str:
    """Random, not a counter: a database rebuilt from scratch never repeats an earlier value."""
    return secrets.token_hex(8)


class Tenant(db.Model):
    """A park or an industry association running a demonstration base."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    region: Mapped[str] = mapped_column(sa.String(120), default="")
    default_locale: Mapped[str] = mapped_column(sa.String(8), default="zh_CN")
    bureau_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bureau.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    # The set of local standards the base follows ("cq", "wh", "tj", "xc"; see tenants.schemes):
    # its readiness, application, plan, deadlines and warnings offer that set only.
    standard: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")
    # The base's own organisation for its application: leading group, office address, staff, budget.
    organisation: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Changes with every committed write to the tenant's rows (saas/tenant_cache.py).
    data_version: Mapped[str] = mapped_column(sa.String(16), default=new_data_version,
                                              server_default="0")
    # Deletion in two steps (saas/tenant_lifecycle.py): suspended (no sign-in, data kept,
    # reversible), then purged once `purge_after` has passed or a platform admin confirms.
    suspended_at: Mapped[datetime | None]
    suspended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    purge_after: Mapped[datetime | None]

    bureau: Mapped[Bureau | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('park', 'association')", name="kind"),
        sa.CheckConstraint("status IN ('active', 'suspended')", name="status"),
    )

    @property
    def active(self) -> bool:
        return self.status == "active"

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


def tenant_blueprint(name: str, import_name: str, url_prefix: str = ""):
    """A blueprint whose routes live under /t/<tenant_slug><url_prefix>.

    Before any view runs, the slug is popped, the tenant loaded and the current user's access
    resolved; an unknown tenant and a tenant the user has no role in both answer 404, so a
    probe cannot tell them apart.
    """
    from flask import Blueprint, abort, g
    from flask_login import current_user

    from .extensions import login_manager

    bp = Blueprint(name, import_name, url_prefix=f"/t/<tenant_slug>{url_prefix}")

    @bp.url_value_preprocessor
    def _enter_tenant(endpoint, values):
        slug = (values or {}).pop("tenant_slug", None)
        g.tenant_slug = slug  # lets the user loader read the tenant in the same statement
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        from .auth.access import enter

        tenant, access = enter(current_user, slug)
        if access is None:
            abort(404)
        g._tenant_token = set_tenant(tenant.id)
        g.tenant = tenant
        g.access = access

    @bp.url_defaults
    def _add_slug(endpoint, values):
        if "tenant_slug" not in values and g.get("tenant") is not None:
            values["tenant_slug"] = g.tenant.slug

    return bp


def leave_tenant(exc=None) -> None:
    """teardown_request: never let one request's tenant leak into the next on this thread."""
    from flask import g

    token = g.pop("_tenant_token", None)
    if token is not None:
        reset_tenant(token)
