"""Engine set-up: SQLite pragmas (WAL, foreign keys, busy timeout) and per-request tenant reset."""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

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
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            engine: Engine = db.engine
        event.listen(engine, "connect", _sqlite_pragmas)
    app.teardown_request(leave_tenant)
    # Import every model so metadata (and Alembic autogenerate) sees the whole schema.
    from . import audit, files, mail, notifications, tenant_cache  # noqa: F401
    from .api import tokens  # noqa: F401
    from .auth import models  # noqa: F401
    from .jobs import records  # noqa: F401
