"""Engine set-up: SQLite pragmas (WAL, foreign keys, busy timeout); for PostgreSQL a pre-ping
without round trips and an autocommit bind for the signed-in user; the session teardown."""

from __future__ import annotations

import logging
import select
import time

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError

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


def autocommit_bind():
    """For a request's lone read (the signed-in user, `saas.auth.access`): on PostgreSQL an
    engine on the same pool whose connections run in autocommit, so a page that needs nothing
    else costs one round trip instead of BEGIN, the statement and ROLLBACK. Nothing is lost: at
    READ COMMITTED every statement takes its own snapshot anyway. None on SQLite, where a
    second connection buys nothing."""
    return current_app.extensions["autocommit_bind"]


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


def init_app(app):
    app.teardown_appcontext_funcs[:] = [f for f in app.teardown_appcontext_funcs
                                        if getattr(f, "__name__", "") != "_teardown_session"]
    app.teardown_appcontext(_remove_session)
    with app.app_context():
        engine: Engine = db.engine
    app.extensions["autocommit_bind"] = None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        checkout, checkin = _pre_ping(engine.dialect)
        event.listen(engine.pool, "checkout", checkout)
        event.listen(engine.pool, "checkin", checkin)
        app.extensions["autocommit_bind"] = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.teardown_request(leave_tenant)
    # Import every model so metadata (and Alembic autogenerate) sees the whole schema.
    from . import audit, files, mail, notifications, tenant_cache  # noqa: F401
    from .api import tokens  # noqa: F401
    from .auth import models  # noqa: F401
    from .jobs import records  # noqa: F401
