"""The PostgreSQL engine set-up (saas/database.py): the pool's pre-ping without a round trip, and
the signed-in user's read (`lone_read`) straight through the driver in autocommit. They need the
server, so they run in CI's PostgreSQL pass (TEST_DATABASE_URL); on SQLite there is no pool to
ping, no transaction to save, and the read goes through SQLAlchemy."""

from __future__ import annotations

import os
import time

import psycopg
import pytest
import sqlalchemy as sa
from flask import g

from saas import create_app, database
from saas.auth import access
from saas.auth.access import signed_in_user
from saas.extensions import db

from .conftest import TEST_CONFIG

pytestmark = pytest.mark.skipif(not os.environ["DATABASE_URL"].startswith("postgres"),
                                reason="PostgreSQL only: CI's PostgreSQL pass runs these")


def backend_pid() -> int:
    return db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()


def end_backend(pid: int) -> None:
    """Terminate a server process from outside the app's pool, and wait until it is gone (in
    autocommit: within a transaction pg_stat_activity would keep showing its first snapshot)."""
    engine = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(100):
                if not conn.execute(sa.text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first():
                    return
                time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError(f"backend {pid} did not end")


def test_the_pool_replaces_a_connection_the_server_ended(ctx):
    first = backend_pid()
    db.session.remove()  # the connection goes back to the pool
    end_backend(first)
    # Without the pre-ping this statement would meet the dead connection and fail.
    second = backend_pid()
    assert second != first


def test_only_a_connection_idle_for_long_pays_a_real_ping(ctx, monkeypatch):
    db.engine.dispose()  # a pool of one fresh connection (the listeners stay with the engine)
    pings = []
    real_ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    backend_pid()
    db.session.remove()
    backend_pid()  # back from the pool at once: the poll is enough
    db.session.remove()
    assert pings == []
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
    backend_pid()
    db.session.remove()
    assert pings == [1]


def test_the_signed_in_user_is_read_in_one_statement_without_a_transaction(app, make, ctx):
    tenant = make.tenant(slug="park")
    user = make.user("admin@example.com", tenant=tenant, role="admin")
    user_id, token = user.id, user.session_token
    db.session.remove()
    db.engine.dispose()  # one pooled connection, so both reads below take the same one
    seen, cursors = [], []

    def after(conn, cursor, statement, *args):
        seen.append((cursor.connection.autocommit, cursor.connection.info.transaction_status))
        cursors.append(cursor)

    sa.event.listen(db.engine, "after_cursor_execute", after)
    try:
        with app.test_request_context("/t/park/"):
            g.tenant_slug = "park"
            loaded = signed_in_user(user_id, token)
            assert loaded.id == user_id and g.entered[2].role == "admin" and g.entered[2].tenant.slug == "park"
            # The user and tenant are the session's, as a query would have left them, and no
            # connection is held: the read had one of its own and gave it back.
            assert loaded in db.session and g.entered[2].tenant in db.session and not db.session.dirty
            assert db.engine.pool.checkedout() == 0
            db.session.remove()
        with app.test_request_context("/t/park/"):
            g.tenant_slug = "park"
            assert signed_in_user(user_id, token).id == user_id
            db.session.remove()
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", after)
    # One statement (the engine's listeners hear of it), in autocommit, and nothing open on the
    # server after it: no BEGIN was sent, no ROLLBACK will be.
    assert seen == [(True, psycopg.pq.TransactionStatus.IDLE)] * 2
    # The next read on that pooled connection reuses its cursor.
    assert cursors[0] is cursors[1] and not cursors[0].closed
    # The pooled connection goes back to the default for everything else: transactions.
    with db.engine.connect() as conn:
        assert conn.connection.driver_connection.autocommit is False
        conn.execute(sa.text("SELECT 1"))
        assert conn.connection.driver_connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def test_the_drivers_row_is_the_row_sqlalchemy_would_give(app, make, ctx):
    """`lone_read` skips SQLAlchemy's result processing: every column of the read must come
    out of the driver as SQLAlchemy would hand it over (JSON decoded, datetimes, booleans)."""
    tenant = make.tenant(slug="park")
    tenant.organisation = {"contact": "张三", "phones": ["1"]}
    user = make.user("admin@example.com", tenant=tenant, role="admin")
    db.session.commit()
    params = {"id": user.id, "sid": "nobody", "slug": "park"}
    with app.test_request_context("/t/park/"):
        raw = database.lone_read(access._USER_IN_TENANT, params)
        with db.engine.connect() as conn:
            core = tuple(conn.execute(access._USER_IN_TENANT, params).first())
    assert tuple(raw) == core
    assert [type(v) for v in raw] == [type(v) for v in core]
    assert {"contact": "张三", "phones": ["1"]} in raw


def test_a_lost_server_arrives_as_sqlalchemys_error_and_the_connection_is_replaced(app, make, ctx):
    user_id = make.user("admin@example.com").id
    db.session.remove()
    read_pid = sa.select(sa.func.pg_backend_pid())
    with app.test_request_context("/"):
        first = database.lone_read(read_pid, {})[0]

    def end_it(dbapi_connection, record, proxy):
        # After the pool's own check: the server goes away between checkout and the statement.
        end_backend(dbapi_connection.info.backend_pid)

    sa.event.listen(db.engine.pool, "checkout", end_it)
    try:
        with app.test_request_context("/"), pytest.raises(sa.exc.OperationalError) as error:
            database.lone_read(access._USER, {"id": user_id, "sid": None})
    finally:
        sa.event.remove(db.engine.pool, "checkout", end_it)
    # The 503 handler's error (saas/errors.py), the dead connection dropped from the pool, the
    # session id not in the message; and the next read simply works.
    assert error.value.connection_invalidated and "[SQL parameters hidden" in str(error.value)
    with app.test_request_context("/"):
        assert database.lone_read(access._USER, {"id": user_id, "sid": None})[0] == user_id
        assert database.lone_read(read_pid, {})[0] != first


def test_a_server_refusing_connections_arrives_as_sqlalchemys_error(app):
    """What a restart looks like to a new connection ("the database system is shutting down",
    "connection refused"): the 503 handler's OperationalError, not the driver's own (a 500)."""
    nowhere = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:9/none"})
    with nowhere.test_request_context("/"), pytest.raises(sa.exc.OperationalError):
        database.lone_read(access._USER, {"id": 1, "sid": None})
