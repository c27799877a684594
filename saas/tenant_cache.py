"""Figures and page fragments derived from a whole tenant (dashboard, roster, readiness,
coverage), kept per worker process until that tenant's data changes.

Why it is safe:
- Every transaction that writes a tenant's rows gives `tenant.data_version` a new random value
  as its last statement before COMMIT, in the same transaction: new rows and the new version
  become visible together. Taking the tenant row's lock last means a transaction holding it
  waits on nothing but its own COMMIT, so writers of one tenant queue briefly and never deadlock.
- Readers read the version (with the tenant, at the start of the request) before the data, so
  what they compute is at least as new as the version they file it under; an entry can only be
  stale under a version that is no longer current, and nobody asks for that one again.
- Keys also hold the day (figures such as "overdue" move at midnight) and whatever else the
  result depends on (locale, permissions, filters, page).
- The value is random rather than a counter so a database rebuilt from scratch (tests, a demo
  reset) never meets entries filed under the same number by its predecessor.

Why per process: a hit costs a dict lookup, no network round trip; each worker computes a
given version once. Values are shared between requests: treat them as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date

import sqlalchemy as sa
from flask import current_app, g
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db
from .tenancy import Tenant, current_tenant_id, new_data_version

WRITTEN = "tenant_cache.written"  # session.info key: ids of tenants written in this transaction
WRITTEN_TABLES = "tenant_cache.written_tables"  # session.info key: {tenant id: names of the tables written}
MAX_ENTRIES = 512


# --- Invalidation: note the tenants a transaction writes, bump them just before COMMIT ---------

def note_written(session: Session, tenant_id: int | None, table: str | None = None) -> None:
    """Mark `tenant_id` as written in `session`'s transaction (its version moves at COMMIT), in
    `table` when it is known (tables_written)."""
    if tenant_id is not None:
        session.info.setdefault(WRITTEN, set()).add(tenant_id)
        if table is not None:
            session.info.setdefault(WRITTEN_TABLES, {}).setdefault(tenant_id, set()).add(table)


def tables_written(session: Session, tenant_id: int) -> set[str]:
    """The tables of `tenant_id` that `session`'s transaction wrote: what an at_bump hook asks to
    know whether the rows it keeps are stale (tenants/metrics/member_figures.py)."""
    return session.info.get(WRITTEN_TABLES, {}).get(tenant_id, set())


def _table_name(thing) -> str | None:
    """The table an ORM object or a bulk statement writes, if it names one."""
    table = getattr(thing, "__table__", None)
    if table is None:
        table = getattr(thing, "table", None)
    return getattr(table, "name", None)


@event.listens_for(Session, "after_flush")
def _note_flushed(session, flush_context):
    for group in (session.new, session.deleted, [o for o in session.dirty if session.is_modified(o)]):
        for obj in group:
            note_written(session, obj.id if isinstance(obj, Tenant) else getattr(obj, "tenant_id", None),
                         _table_name(obj))


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state):
    # Bulk INSERT/UPDATE/DELETE statements (imports) write without flushing objects.
    if state.is_insert or state.is_update or state.is_delete:
        note_written(state.session, current_tenant_id(), _table_name(state.statement))


_AT_BUMP: list[Callable] = []
_AT_BUMP_LAST: list[Callable] = []


def at_bump(hook: Callable | None = None, *, last: bool = False):
    """Register `hook(session, written tenant ids)`, run at COMMIT right after those tenants'
    versions moved, in the same transaction: where rows derived from a tenant's rows are kept
    (tenants/training/summary.py, tenants/members/per_member.py), so they are never seen apart
    from what they sum. The version's UPDATE holds each written tenant's row until COMMIT: two
    transactions of one tenant run their hooks one after the other, the second (READ COMMITTED:
    a snapshot per statement) from the first one's committed rows — run before it, both
    recomputed the same member from their own snapshots and the second one's INSERT collided
    with the first one's row. `last=True`: after every other hook, for rows derived from rows
    the others keep (tenants/metrics/member_figures.py), whatever order the modules loaded in."""
    if hook is None:
        return lambda h: at_bump(h, last=last)
    (_AT_BUMP_LAST if last else _AT_BUMP).append(hook)
    return hook


@event.listens_for(Session, "before_commit")
def _bump(session):
    if session.in_nested_transaction():
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook; what it would write must count too
    written = session.info.pop(WRITTEN, None)
    if written:
        table = Tenant.__table__
        # Sorted: two transactions writing the same tenants lock them in the same order.
        for tenant_id in sorted(written):
            session.connection().execute(sa.update(table).where(table.c.id == tenant_id)
                                         .values(data_version=new_data_version()))
        for hook in (*_AT_BUMP, *_AT_BUMP_LAST):
            hook(session, written)
    session.info.pop(WRITTEN_TABLES, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session, transaction):
    if transaction.parent is None:
        session.info.pop(WRITTEN, None)
        session.info.pop(WRITTEN_TABLES, None)


# --- The store --------------------------------------------------------------------------------

class LRU:
    """A small thread-safe LRU."""

    def __init__(self, size: int = MAX_ENTRIES):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
            return MISSING

    def put(self, key, value) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


MISSING = object()


def store() -> LRU:
    return current_app.extensions.setdefault("tenant_cache", LRU())


def cached(name: str, key: tuple[Hashable, ...], compute: Callable[[], object], lru: LRU | None = None):
    """`compute()` for the current tenant, or its result from an earlier request if the tenant's
    data (and the day) have not changed since; kept in `lru` (default: the tenant cache's own)."""
    tenant = g.get("tenant")
    if tenant is None or not current_app.config.get("TENANT_CACHE", True) or db.session.info.get(WRITTEN):
        return compute()  # uncommitted writes of this request: figures must include them
    full_key = (name, tenant.id, tenant.data_version, date.today(), *key)
    lru = lru or store()
    value = lru.get(full_key)
    if value is MISSING:
        value = compute()
        from .replica import on_replica

        if not on_replica():  # computed on the replica, it may be older than the version
            lru.put(full_key, value)  # (read from the primary with the tenant): used, not filed
    return value


def fragment(name: str, key: tuple[Hashable, ...], render: Callable[[], str]) -> Markup:
    """A rendered piece of page (no forms with CSRF tokens, nothing user-specific beyond `key`)."""
    from .templating import locale_code

    return cached(name, (locale_code(), *key), lambda: Markup(render()))


# --- Across tenants: one value per tenant, each under its own version (the bureau views) --------

ROWS_MAX_ENTRIES = 16_384  # a province's bases × a few years, days and views


def rows_store() -> LRU:
    """Kept apart from the pages' store: a province's hundreds of per-base rows would push every
    tenant's pages out of a 512-entry LRU."""
    return current_app.extensions.setdefault("tenant_cache.rows", LRU(ROWS_MAX_ENTRIES))


def cached_per_tenant(name: str, versions: dict[int, str], key: tuple[Hashable, ...],
                      compute: Callable[[list[int]], dict[int, object]], day: date | None = None) -> dict[int, object]:
    """{tenant id: value} for the tenants of `versions` (id → its data_version, read before the
    data, as `cached` does with g.tenant), each filed under its own version: a write in one tenant
    recomputes that tenant's value only. `compute(ids)` computes the missing ones at once (the same
    grouped queries, restricted to those ids) and answers {id: value} for each of them.
    The caller reads (and checks the right to read) the tenant list on every request; only figures
    of tenants it was allowed to list are looked up, so no key needs the reader in it."""
    if not versions:
        return {}
    if not current_app.config.get("TENANT_CACHE", True) or db.session.info.get(WRITTEN):
        return compute(list(versions))
    day = day or date.today()
    lru = rows_store()
    keys = {tid: (name, tid, version, day, *key) for tid, version in versions.items()}
    found = {tid: lru.get(k) for tid, k in keys.items()}
    missing = [tid for tid, value in found.items() if value is MISSING]
    if missing:
        computed = compute(missing)
        for tid in missing:
            found[tid] = computed[tid]
            lru.put(keys[tid], computed[tid])
    return found


def cached_across(name: str, key: tuple[Hashable, ...], compute: Callable[[], object]):
    """`compute()` of a value made from several tenants' data (a bureau's table of its bases),
    filed under `key`, which must hold those tenants' (id, data_version) pairs (a digest of them),
    anything else the value shows and the reader's jurisdiction; kept with cached_per_tenant's rows."""
    if not current_app.config.get("TENANT_CACHE", True) or db.session.info.get(WRITTEN):
        return compute()
    full_key = (name, date.today(), *key)
    lru = rows_store()
    value = lru.get(full_key)
    if value is MISSING:
        value = compute()
        lru.put(full_key, value)
    return value
