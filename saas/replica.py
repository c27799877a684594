"""An optional PostgreSQL read replica (DATABASE_REPLICA_URL) for the heavy reads that may be a
few seconds stale: the bureau overview, the roll-up and their exports, the roll-up API, report
drafting. Without the setting (and always on SQLite) nothing here does anything.

How a read gets there: views wrapped in `replica_reads` (or code run by `call`) route the ORM
session's statements to the replica engine through `ReplicaSession.get_bind` — the same session,
the same identity map, a second connection. The replica engine carries the primary's pool
pre-ping and row-level security's per-transaction settings (saas/rls.py `install`), connects as
the same app role, and every one of its transactions is READ ONLY, so a write that strays there
fails instead of going anywhere.

When a view still reads from the primary:
- Read-your-writes: a request that committed anything records the primary's WAL position after
  its commit (`pg_current_wal_lsn()`) in the signed-in user's session; that user's routed reads
  stay on the primary until the replica has replayed past it (`pg_last_wal_replay_lsn()`), then
  the mark is dropped. A request that itself committed (e.g. an API token's once-a-minute
  last-use stamp) reads from the primary for the rest of the request.
- Degrade: at most once per CHECK_SECONDS per process one thread asks both servers where they
  are (the primary's WAL position, the replica's replayed one). The replica is used only when it
  answers and has replayed what the primary had written at most DATABASE_REPLICA_MAX_LAG_SECONDS
  ago (positions sampled at each check: lag in time, not bytes, and clock-free). A replica that
  refuses connections, or fails in the middle of a view, is set aside until the next check and
  the view runs again on the primary: the user gets the page, never the replica's error.
- The session holds unflushed changes (an autoflush would write to the replica).

A physical standby of the primary (streaming replication) is the replica this is made for; the
primary itself also works (tests), then it is never behind.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
from contextvars import ContextVar

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession

log = logging.getLogger(__name__)

# How often (seconds) a process asks the servers how far the replica is: one round trip to each.
CHECK_SECONDS = 2.0
# The Flask session's key for the user's last write position (an LSN as an integer).
WROTE_KEY = "_wal"

_routed: ContextVar = ContextVar("replica_routed", default=None)


class ReplicaSession(FlaskSession):
    """Flask-SQLAlchemy's session, whose statements go to the replica inside `replica_reads`."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            engine = _routed.get()
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def lsn(text: str | None) -> int | None:
    """'16/B374D848' as an integer (comparable); None stays None."""
    if not text:
        return None
    high, low = str(text).split("/")
    return (int(high, 16) << 32) | int(low, 16)


def _ask(engine, sql: str):
    """One row of `sql` on a pooled connection, straight on the driver (no ORM, no row-level
    security settings: these functions read no table)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchone()
        finally:
            cursor.close()
            connection.rollback()
    finally:
        connection.close()


def _replica_position(engine) -> int | None:
    """How far the replica has replayed; on a server that is not a standby (the primary itself),
    its own position."""
    row = _ask(engine, "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                       "ELSE pg_current_wal_lsn() END")
    return lsn(row[0])


def _primary_position(engine) -> int | None:
    return lsn(_ask(engine, "SELECT pg_current_wal_lsn()")[0])


class Replica:
    """The replica of one app in one process: its engine and what the last check found."""

    def __init__(self, app, url: str, primary):
        from .database import _pre_ping
        from .rls import check_role, install

        self.url = url
        self.max_lag = float(app.config.get("DATABASE_REPLICA_MAX_LAG_SECONDS") or 5)
        # READ ONLY for every transaction (a standby is anyway; the primary named as its own
        # replica is not); a short connect timeout so a replica that vanished costs little.
        self.engine = sa.create_engine(url, connect_args={"options": "-c default_transaction_read_only=on",
                                                          "connect_timeout": 3})
        checkout, checkin = _pre_ping(self.engine.dialect)
        sa.event.listen(self.engine.pool, "checkout", checkout)
        sa.event.listen(self.engine.pool, "checkin", checkin)
        install(self.engine)  # the tenant of each transaction, as on the primary
        self.primary = primary
        self.required = bool(app.config.get("RLS_REQUIRED"))
        self.role_checked = False
        self.check_role = check_role
        self.lock = threading.Lock()
        self.checked_at = float("-inf")
        self.usable = False
        self.replayed: int | None = None
        self.reason = "not checked yet"
        self.samples: deque = deque()  # (monotonic time, primary position), oldest first

    # --- the check, at most once per CHECK_SECONDS ----------------------------------------------

    def refresh(self) -> None:
        if time.monotonic() - self.checked_at < CHECK_SECONDS:
            return
        if not self.lock.acquire(blocking=False):
            return  # another thread is checking: use what the last check found
        try:
            if time.monotonic() - self.checked_at >= CHECK_SECONDS:
                self._check()
        finally:
            self.lock.release()

    def _check(self) -> None:
        now = time.monotonic()
        self.checked_at = now
        try:
            if self.required and not self.role_checked:
                problem = self.check_role(self.engine)
                if problem:
                    raise RuntimeError(f"RLS_REQUIRED: {problem}")
                self.role_checked = True
            primary = _primary_position(self.primary)  # first: the replica must have replayed this
            replayed = _replica_position(self.engine)
        except Exception as error:  # noqa: BLE001 — any failure means: not now, read the primary
            self._down(f"unreachable: {error}".splitlines()[0])
            return
        self.samples.append((now, primary))
        while len(self.samples) > 1 and now - self.samples[1][0] > self.max_lag + CHECK_SECONDS:
            self.samples.popleft()  # older than any lag we would accept, and one to spare
        self.replayed = replayed
        # The replica holds everything the primary had at the newest sample it has passed.
        passed = [t for t, position in self.samples if replayed is not None and position <= replayed]
        lag = now - passed[-1] if passed else None
        if lag is not None and lag <= self.max_lag:
            if not self.usable:
                log.info("read replica in use (lag at most %.1f s)", lag)
            self.usable, self.reason = True, f"lag at most {lag:.1f} s"
        else:
            self._down("lagging more than %g s" % self.max_lag if lag is not None or
                       now - self.samples[0][0] > self.max_lag else "lag not known yet")

    def _down(self, reason: str) -> None:
        if self.usable:
            log.warning("read replica set aside: %s", reason)
        self.usable, self.reason = False, reason

    def failed(self, error) -> None:
        """A routed view failed on the replica: set it aside until the next check."""
        self.checked_at = time.monotonic()
        self._down(f"failed in a view: {error}".splitlines()[0])

    def caught_up(self, position: int) -> bool:
        """Has the replica replayed `position`? Asked afresh (one round trip) when the last check
        had not seen it there yet."""
        if self.replayed is not None and self.replayed >= position:
            return True
        try:
            replayed = _replica_position(self.engine)
        except Exception:  # noqa: BLE001
            return False
        if replayed is not None and (self.replayed is None or replayed > self.replayed):
            self.replayed = replayed
        return replayed is not None and replayed >= position


def replica():
    """This process's Replica of the current app, or None where none is configured."""
    from flask import current_app

    from .extensions import db

    url = current_app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return None
    found = current_app.extensions.get("replica")
    if found is None or found.url != url:
        if db.engine.dialect.name != "postgresql":
            return None
        found = Replica(current_app, url, db.engine)
        current_app.extensions["replica"] = found
    return found


def _engine_for_this_read():
    """The replica's engine when this read may go there, else None (the primary)."""
    from flask import g, has_request_context, session

    from .extensions import db

    if _routed.get() is not None:
        return None  # already routed (nested)
    target = replica()
    if target is None:
        return None
    s = db.session()
    if s.new or s.dirty or s.deleted:
        return None
    if has_request_context():
        if g.get("_replica_wrote"):
            return None  # this request wrote: its own reads see it on the primary
    target.refresh()
    if not target.usable:
        return None
    if has_request_context():
        wrote = session.get(WROTE_KEY)
        if wrote is not None:
            if not target.caught_up(int(wrote)):
                return None
            session.pop(WROTE_KEY, None)  # the replica has it: no need to ask again
    return target.engine


def call(fn, *args, **kwargs):
    """`fn(*args, **kwargs)` with the session's reads on the replica when it may serve them;
    should the replica fail on the way, once more on the primary (these are reads: running them
    again is harmless)."""
    from .extensions import db

    engine = _engine_for_this_read()
    if engine is None:
        return fn(*args, **kwargs)
    token = _routed.set(engine)
    try:
        return fn(*args, **kwargs)
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
        # The primary failing would fail again below and answer 503 as usual.
        target = replica()
        if target is not None:
            target.failed(error)
        log.warning("a read on the replica failed, read again from the primary: %s", str(error).splitlines()[0])
    finally:
        _routed.reset(token)
    try:
        db.session.rollback()  # drops the replica's dead connection from the session
    except sa.exc.DBAPIError:
        pass
    return fn(*args, **kwargs)


def replica_reads(view):
    """Decorator of a read-only view whose reads may come from the replica (see `call`). Put it
    innermost, under the sign-in and permission decorators: they read the primary."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return call(view, *args, **kwargs)

    return wrapper


def on_replica() -> bool:
    """Are the session's reads going to the replica right now?"""
    return _routed.get() is not None


# --- read-your-writes: where the user's last write is --------------------------------------------

def _committed(_connection) -> None:
    from flask import g, has_request_context

    if has_request_context():
        g._replica_wrote = True


def _remember_write(response):
    """After a request that committed: the primary's position, in the signed-in user's session,
    so their next routed reads wait for the replica to have it."""
    from flask import current_app, g, session

    from .extensions import db

    if g.get("_replica_wrote") and current_app.config.get("DATABASE_REPLICA_URL") and "sid" in session:
        try:
            session[WROTE_KEY] = _primary_position(db.engine)
        except Exception:  # noqa: BLE001 — the write is saved; a primary this ill fails the next page anyway
            log.warning("could not read the primary's WAL position after a write", exc_info=True)
    return response


def init_app(app, engine) -> None:
    """PostgreSQL only (saas.database): hear of the primary's commits, record them per user."""
    sa.event.listen(engine, "commit", _committed)
    app.after_request(_remember_write)
