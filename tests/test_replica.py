"""The optional read replica (saas/replica.py, DATABASE_REPLICA_URL): nothing changes without
it; with it the bureau overview, the roll-up, their exports, the roll-up API and report drafting
read there — read-only, with row-level security's settings —, a user's own writes are read from
the primary until the replica has them, and a replica that is down or fails leaves the pages
answering from the primary. The "replica" here is the test database itself, under a second
engine (the soak, tests/perf/soak.py, runs a real streaming standby)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from saas import replica
from saas.api import tokens as api_tokens
from saas.auth.models import User
from saas.config import ConfigError, load_config, validate
from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.reports.models import PeriodicReport

from .sql import statements

postgres_only = pytest.mark.skipif(not os.environ["DATABASE_URL"].startswith("postgres"),
                                   reason="the read replica is PostgreSQL's")
Y = 2025


@pytest.fixture
def world(make, login_as):
    from datetime import date

    city = make.bureau("副本市局", level="city")
    district = make.bureau("副本区局", level="district", parent=city)
    tenant = make.tenant(slug="replica-park", name="副本园区", bureau=district)
    make.enterprise(tenant, name="副本企业", joined_on=date(Y, 3, 1))
    make.user("city@example.com", bureau=city, bureau_role="reviewer")
    make.user("other-city@example.com", bureau=city, bureau_role="reviewer")
    make.user("admin@example.com", tenant=tenant, role="admin")
    with tenant_scope(tenant.id):
        report = PeriodicReport(kind="cq_half_year", year=Y, period_start=date(Y, 1, 1), period_end=date(Y, 6, 30),
                                due_on=date(Y, 7, 15), status="draft", sections={"progress": ""})
        db.session.add(report)
        db.session.commit()
    _t, raw = api_tokens.issue(User.by_email("city@example.com"), tenant, "replica")
    db.session.commit()
    return SimpleNamespace(city=city.id, tenant=tenant, report=report.id, token={"Authorization": f"Bearer {raw}"},
                           reviewer=login_as("city@example.com"), other=login_as("other-city@example.com"),
                           admin=login_as("admin@example.com"))


def _url(port: int | None = None) -> str:
    url = sa.make_url(load_config(os.environ["INSTANCE_PATH"])["SQLALCHEMY_DATABASE_URI"])
    return (url.set(port=port) if port else url).render_as_string(hide_password=False)


@pytest.fixture
def with_replica(app, monkeypatch):
    """Configure a replica at `url` (the test database by default); every request checks it."""
    monkeypatch.setattr(replica, "CHECK_SECONDS", 0.0)

    def configure(url=None):
        app.config["DATABASE_REPLICA_URL"] = url or _url()
        with app.app_context():
            target = replica.replica()
        seen = []
        event.listen(target.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *a: seen.append(statement))
        return SimpleNamespace(replica=target, seen=seen)

    yield configure
    app.config["DATABASE_REPLICA_URL"] = None
    target = app.extensions.pop("replica", None)
    if target is not None:
        target.engine.dispose()


ROUTED = ["/bureau/", f"/bureau/?year={Y}", "/bureau/export.xlsx", "/bureau/rollup", f"/bureau/rollup.xlsx?year={Y}"]


def test_without_a_replica_every_read_is_the_primarys(app, world):
    assert app.config.get("DATABASE_REPLICA_URL") is None
    with app.test_request_context():
        assert replica.replica() is None
        assert replica.call(lambda: replica.on_replica()) is False
    with statements() as seen:
        for url in ROUTED:
            assert world.reviewer.get(url).status_code == 200, url
    assert seen and "replica" not in app.extensions


def test_the_setting_needs_postgresql_for_both(app):
    config = {**app.config, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db", "DATABASE_REPLICA_URL": _url()}
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL"):
        validate(config)
    config = {**app.config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://a@b/c",
              "DATABASE_REPLICA_MAX_LAG_SECONDS": 0, "DATABASE_REPLICA_URL": "postgresql+psycopg://a@b/c"}
    with pytest.raises(ConfigError, match="MAX_LAG"):
        validate(config)


@postgres_only
def test_routed_views_read_the_replica_with_the_tenant_setting(app, world, with_replica):
    r = with_replica()
    for url in ROUTED:
        before = len(r.seen)
        assert world.reviewer.get(url).status_code == 200, url
        routed = r.seen[before:]
        assert any("FROM tenant" in s for s in routed), url  # the jurisdiction came from the replica
    # The token's first use stamps it (a commit): that request reads the primary; the next one not.
    api = f"/api/v1/bureaus/{world.city}/rollup?year={Y}"
    before = len(r.seen)
    assert world.reviewer.get(api, headers=world.token).status_code == 200
    assert len(r.seen) == before
    body = world.reviewer.get(api, headers=world.token)
    assert body.status_code == 200
    assert len(r.seen) > before
    # The base's member, read on the replica under row-level security (CI's app role): the
    # cross-tenant setting reached the replica's transaction, or the count would be 0.
    base = next(line for line in body.get_json()["lines"] if line.get("tenant", {}).get("slug") == "replica-park")
    assert base["figures"]["active_members"] == 1
    for url in (f"/t/replica-park/reports/{world.report}", "/t/replica-park/reports/",
                f"/t/replica-park/reports/{world.report}/report.docx"):
        before = len(r.seen)
        assert world.admin.get(url).status_code == 200, url
        assert len(r.seen) > before, url
    # A page not routed stays on the primary.
    before = len(r.seen)
    assert world.admin.get("/t/replica-park/members/").status_code == 200
    assert len(r.seen) == before


@postgres_only
def test_the_replica_gets_row_level_securitys_settings(app, world, with_replica):
    r = with_replica()
    from saas.tenancy import cross_tenant_reads

    def settings():
        assert replica.on_replica()
        return tuple(db.session.execute(sa.text("SELECT current_setting('app.tenant_id', true), "
                                                "current_setting('app.cross_tenant', true)")).one())

    with app.test_request_context():
        with tenant_scope(world.tenant.id):
            assert replica.call(settings) == (str(world.tenant.id), "")
        db.session.rollback()
        with cross_tenant_reads("bureau: a test of the replica"):
            assert replica.call(settings)[1] == "on"
        db.session.rollback()
    assert r.seen


@postgres_only
def test_the_replica_refuses_writes(app, world, with_replica):
    with_replica()
    with app.test_request_context():
        def write():
            db.session.execute(sa.text("CREATE TEMPORARY TABLE replica_probe (i integer)"))

        with pytest.raises(sa.exc.DBAPIError, match="read-only"):
            replica.call(write)
        db.session.rollback()


@postgres_only
def test_a_users_own_write_is_read_from_the_primary_until_the_replica_has_it(app, world, with_replica, monkeypatch):
    r = with_replica()
    with app.app_context():
        before_write = replica._primary_position(db.engine)
    # The replica stays where the primary was before the write (it replays nothing more).
    position = {"replayed": before_write}
    monkeypatch.setattr(replica, "_replica_position", lambda engine: position["replayed"])
    assert world.reviewer.get("/bureau/").status_code == 200
    assert r.replica.usable, r.replica.reason

    # The reviewer saves a target: the write is on the primary, past where the replica is.
    assert world.reviewer.post(f"/bureau/targets/{Y}", data={"bases": "7"}).status_code == 302
    seen = len(r.seen)
    page = world.reviewer.get(f"/bureau/?year={Y}")
    assert page.status_code == 200 and len(r.seen) == seen  # the primary, which shows the new target
    assert r.replica.usable  # not lagging by time: it is this user's write it has not replayed
    # Another reviewer, who wrote nothing, reads the replica.
    assert world.other.get(f"/bureau/?year={Y}").status_code == 200
    assert len(r.seen) > seen
    # Once the replica has replayed past the write, the writer reads it again.
    with app.app_context():
        position["replayed"] = replica._primary_position(db.engine)
    seen = len(r.seen)
    assert world.reviewer.get(f"/bureau/?year={Y}").status_code == 200
    assert len(r.seen) > seen


@postgres_only
def test_a_replica_behind_by_more_than_the_bound_is_not_used(app, world, with_replica, monkeypatch):
    r = with_replica()
    monkeypatch.setattr(replica, "_replica_position", lambda engine: 0)  # never replays anything
    assert world.reviewer.get("/bureau/").status_code == 200
    assert not r.replica.usable and not r.seen


@postgres_only
def test_a_replica_that_refuses_connections_leaves_the_pages_on_the_primary(app, world, with_replica):
    r = with_replica(_url(port=1))  # nothing listens there
    for url in ROUTED:
        assert world.reviewer.get(url).status_code == 200, url
    assert not r.replica.usable and "unreachable" in r.replica.reason
    assert world.reviewer.get(f"/api/v1/bureaus/{world.city}/rollup", headers=world.token).status_code == 200


@postgres_only
def test_a_replica_failing_inside_a_view_is_read_again_from_the_primary(app, world, with_replica, monkeypatch):
    r = with_replica(_url(port=1))

    def believed_up():  # the last check found it well; it died since
        r.replica.usable = True

    monkeypatch.setattr(r.replica, "refresh", believed_up)
    page = world.reviewer.get(f"/bureau/rollup?year={Y}")
    assert page.status_code == 200 and "副本区局" in page.get_data(as_text=True)
    assert not r.replica.usable and "failed in a view" in r.replica.reason
