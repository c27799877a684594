"""Engine set-up: SQLite pragmas (WAL, foreign keys, busy timeout) and per-request tenant reset."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db
from .tenancy import leave_tenant


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            engine: Engine = db.engine
        event.listen(engine, "connect", _sqlite_pragmas)
    app.teardown_request(leave_tenant)
    # Import every model so metadata (and Alembic autogenerate) sees the whole schema.
    from . import audit, files, mail, notifications  # noqa: F401
    from .api import tokens  # noqa: F401
    from .auth import models  # noqa: F401
    from .jobs import records  # noqa: F401
