"""Engine set-up: SQLite pragmas (WAL, foreign keys, busy timeout); for PostgreSQL a pre-ping
without round trips; the signed-in user's read outside the ORM (in autocommit on PostgreSQL);
the session teardown."""

from __future__ import annotations

import logging
import select
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import make_transient_to_detached

from .extensions import db
from .tenancy import leave_tenant


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


log = logging.getLogger("saas.database")

# A connection back from the pool after this long idle gets a real `SELECT 1` as well.
IDLE_PING_SECONDS = 30.0


def _pre_ping(dialect):
    """The pool's pre-ping for PostgreSQL, without a round trip on a busy pool. A connection
    waiting in the pool has nothing to read unless the server ended it: a restart or a killed
    backend sends its FATAL notice and closes the socket, so a readable socket is a dead
    connection, and the pool replaces it before the request uses it (SQLAlchemy's `pool_pre_ping`
    would spend a round trip on `SELECT 1` for every checkout instead). One that sat idle longer
    than IDLE_PING_SECONDS still gets the `SELECT 1`, for what a poll cannot see, such as a
    network path that dropped it silently."""

    def checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:
            return  # just connected
        poll = select.poll()
        poll.register(dbapi_connection.fileno(), select.POLLIN)
        if poll.poll(0):
            raise DisconnectionError("the server ended the connection while it was idle")
        if time.monotonic() - idle_since > IDLE_PING_SECONDS:
            try:
                dialect.do_ping(dbapi_connection)
            except dialect.loaded_dbapi.Error as error:
                raise DisconnectionError(str(error)) from error

    def checkin(dbapi_connection, record):
        if dbapi_connection is not None:
            record.info["idle_since"] = time.monotonic()

    return checkout, checkin


_COMPILED: dict = {}  # statement -> its PostgreSQL SQL, compiled once per process


def lone_read(statement, params: dict):
    """The first row of a Core `statement`, for a request's lone read (the signed-in user,
    `saas.auth.access`), which on a cached page is the only statement of the request.

    On PostgreSQL it goes straight to the driver, on a pooled connection switched to autocommit
    for the read and given back at once: one round trip (no BEGIN, no ROLLBACK; at READ COMMITTED
    every statement takes its own snapshot anyway), and none of the SQLAlchemy Connection and
    result machinery, which costs three times the round trip itself and a fifth of such a page
    (tests/perf). The engine's cursor listeners still hear of it (with no Connection: the
    statement counters of the tests and the bench rely on them; they cannot rewrite it), errors
    arrive as SQLAlchemy's (a lost server: OperationalError, the connection invalidated), and
    the parameters must need no conversion (ints and strings) and the columns none either
    (tests/test_database.py compares the row with SQLAlchemy's).

    On SQLite on the session's connection, in its transaction: there a Core statement costs
    little and a second connection buys nothing."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return db.session.connection().execute(statement, params).first()
    dialect = engine.dialect
    sql = _COMPILED.get(statement)
    if sql is None:
        sql = _COMPILED[statement] = str(statement.compile(dialect=dialect))
    connection = driver = None
    try:
        connection = engine.raw_connection()  # the pool's checkout check (`_pre_ping`) applies
        driver = connection.driver_connection
        driver.autocommit = True
        try:
            # One cursor per connection, kept with it (the pool clears `info` when it replaces
            # the connection): making a cursor cost a quarter of the read.
            cursor = connection.info.get("lone_cursor")
            if cursor is None or cursor.connection is not driver:
                cursor = connection.info["lone_cursor"] = driver.cursor()
            if engine.dispatch.before_cursor_execute:
                engine.dispatch.before_cursor_execute(None, cursor, sql, params, None, False)
            cursor.execute(sql, params)
            row = cursor.fetchone()
            if engine.dispatch.after_cursor_execute:
                engine.dispatch.after_cursor_execute(None, cursor, sql, params, None, False)
            return row
        finally:
            if not driver.broken:
                driver.autocommit = False  # back to transactions for whoever takes it next
    except dialect.loaded_dbapi.Error as error:
        # Also a server that refuses new connections (restarting): the pool raises the driver's error.
        lost = connection is not None and dialect.is_disconnect(error, driver, None)
        if lost:
            connection.invalidate(error)
        raise sa.exc.DBAPIError.instance(sql, params, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                         connection_invalidated=lost, dialect=dialect) from error
    finally:
        if connection is not None:
            connection.close()


def count_where(condition):
    """SQL: how many rows of the group meet `condition` (0 for none) — an aggregate's FILTER
    clause, which both databases skip for the other rows: 13 such counts over 2,000 members took
    0.57 ms on SQLite and 0.55 on PostgreSQL, against 0.85 and 0.62–0.95 as SUM(CASE …)."""
    return sa.func.count().filter(condition)


def columns_of(cls) -> tuple[tuple[str, ...], list]:
    """The model's column attribute names, and its columns labelled apart from other tables' (a
    Core statement reading several models' rows at once, each made an instance by `adopt`)."""
    attrs = sa.inspect(cls).column_attrs
    return (tuple(a.key for a in attrs),
            [a.columns[0].label(f"{cls.__table__.name}_{a.key}") for a in attrs])


def adopt(cls, values: dict):
    """An instance of the model `cls` holding `values` (every column attribute, as a Core row
    gives them), in the session as if a query had loaded it: persistent, with no changes, its
    relationships loading lazily. If the session already holds that row it returns the session's
    instance instead, as a query would. For rows read by `lone_read`."""
    mapper = sa.inspect(cls)
    session = db.session()
    key = mapper.identity_key_from_primary_key([values[mapper.get_property_by_column(column).key]
                                                for column in mapper.primary_key])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    instance = mapper.class_manager.new_instance()  # no __init__: a loaded row, as a query builds it
    # The instance dict is where loaded values live; make_transient_to_detached then records
    # them as the committed state, so the session sees nothing to flush.
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def _remove_session(_exc=None):
    """Flask-SQLAlchemy's teardown, made safe: when the database restarts after a response is
    ready, the closing ROLLBACK fails on a dead connection. Nothing was pending (whatever had to be
    saved was committed before the response), so the response stands instead of turning into a
    500; the pool has already dropped the connection."""
    try:
        db.session.remove()
    except DBAPIError as error:
        log.warning("closing the session on a lost connection: %s", error.orig)
        try:
            db.session.remove()
        except DBAPIError:
            db.session.registry.clear()


def owner_engine():
    """The engine of the tables' owner (DATABASE_OWNER_URL) for maintenance the app's role may
    not do — ANALYZE, backups; the app's own engine where no separate owner is configured."""
    from flask import current_app

    url = current_app.config.get("DATABASE_OWNER_URL")
    if not url:
        return db.engine
    engine = current_app.extensions.get("owner_engine")
    if engine is None:
        engine = current_app.extensions["owner_engine"] = sa.create_engine(url, poolclass=sa.pool.NullPool)
    return engine


def init_app(app):
    app.teardown_appcontext_funcs[:] = [f for f in app.teardown_appcontext_funcs
                                        if getattr(f, "__name__", "") != "_teardown_session"]
    app.teardown_appcontext(_remove_session)
    with app.app_context():
        engine: Engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        checkout, checkin = _pre_ping(engine.dialect)
        event.listen(engine.pool, "checkout", checkout)
        event.listen(engine.pool, "checkin", checkin)
        from .rls import check_role, install

        install(engine)  # the tenant of each transaction, for row-level security
        from . import replica

        replica.init_app(app, engine)  # read-your-writes for DATABASE_REPLICA_URL (a no-op without it)
        if app.config.get("RLS_REQUIRED"):
            problem = check_role(engine)
            if problem:
                raise RuntimeError(f"RLS_REQUIRED: {problem}")
    app.teardown_request(leave_tenant)
    # Import every model so metadata (and Alembic autogenerate) sees the whole schema.
    from . import audit, files, mail, notifications, tenant_cache  # noqa: F401
    from .api import tokens  # noqa: F401
    from .auth import models  # noqa: F401
    from .jobs import records  # noqa: F401
