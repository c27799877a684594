"""The PostgreSQL engine set-up (saas/database.py): the pool's pre-ping without a round trip, and
the signed-in user read in autocommit. They need the server, so they run in CI's PostgreSQL pass
(TEST_DATABASE_URL); on SQLite there is no pool to ping nor a transaction to save."""

from __future__ import annotations

import os
import time

import psycopg
import pytest
import sqlalchemy as sa
from flask import g

from saas import database
from saas.auth.access import signed_in_user
from saas.extensions import db

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


def test_the_signed_in_user_is_read_without_opening_a_transaction(app, make, ctx):
    tenant = make.tenant(slug="park")
    user = make.user("admin@example.com", tenant=tenant, role="admin")
    user_id, token = user.id, user.session_token
    db.session.remove()
    with app.test_request_context("/t/park/"):
        g.tenant_slug = "park"
        assert signed_in_user(user_id, token).id == user_id
        assert g.entered[2].role == "admin"
        read = db.session.connection(bind_arguments={"bind": database.autocommit_bind()}).connection.driver_connection
        # Autocommit, and nothing open on the server: no BEGIN was sent, no ROLLBACK will be.
        assert read.autocommit and read.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        db.session.remove()
    # The pooled connection goes back to the default for everything else: transactions.
    with db.engine.connect() as conn:
        assert conn.connection.driver_connection.autocommit is False
        conn.execute(sa.text("SELECT 1"))
        assert conn.connection.driver_connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
