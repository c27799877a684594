"""Row-level security (saas/rls.py): the database's own wall behind the ORM's tenant scope.

The PostgreSQL tests run in CI's PostgreSQL pass, where the app connects as a role that owns no
table and has no BYPASSRLS (.ci/run); the checks of the code itself run on both databases."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from saas import rls
from saas.extensions import db
from saas.tenancy import cross_tenant_reads, tenant_scope

ROOT = Path(__file__).resolve().parent.parent
postgres_only = pytest.mark.skipif(not os.environ["DATABASE_URL"].startswith("postgres"),
                                   reason="row-level security is PostgreSQL's; CI's PostgreSQL pass runs these")


def test_every_module_reading_across_tenants_is_listed_in_one_place():
    openers = set()
    for folder in ("saas", "tenants"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"with cross_tenant_reads\(", text):
                openers.add(str(path.relative_to(ROOT)))
    assert openers, "the scan found no call site at all"
    assert openers - set(rls.CROSS_TENANT_READERS) == set(), "list them in saas/rls.py CROSS_TENANT_READERS"
    assert set(rls.CROSS_TENANT_READERS) - openers == set(), "listed but no longer reading across tenants"


def test_every_migration_after_the_wall_puts_its_new_tenant_tables_behind_it():
    """A table with a tenant_id created after 0024 must call saas.rls.enable (0024 covered all
    tables before it); the database-level check below proves it on PostgreSQL too."""
    versions = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    after = [p for p in versions if p.name[:4].isdigit() and int(p.name[:4]) > 24]
    for path in after:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"op\.create_table\(\s*'(\w+)'(.*?)\n    \)", text, re.S):
            name, body = match.group(1), match.group(2)
            if "'tenant_id'" in body and name not in rls.UNWALLED:
                assert f"rls.enable(op, '{name}')" in text or f'rls.enable(op, "{name}")' in text, (path.name, name)


def test_every_tenant_table_of_the_models_is_walled_or_says_why(app):
    tables = set(rls.tenant_tables(db.metadata))
    with_tenant = {t.name for t in db.metadata.sorted_tables if "tenant_id" in t.c}
    assert with_tenant - tables == set(rls.UNWALLED)
    assert {"enterprise", "service_log", "attendance", "audit_event"} <= tables


@postgres_only
def test_the_app_role_is_not_one_the_wall_lets_through(app, ctx):
    """CI's PostgreSQL pass: the app's role is no superuser, has no BYPASSRLS, owns no table."""
    assert rls.check_role(db.engine) is None


@postgres_only
def test_every_tenant_table_has_its_policies_enabled_and_forced(app, ctx):
    rows = db.session.execute(sa.text(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "array(SELECT p.polname FROM pg_policy p WHERE p.polrelid = c.oid ORDER BY p.polname) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).all()
    found = {name: (enabled, forced, list(policies)) for name, enabled, forced, policies in rows}
    for table in rls.tenant_tables(db.metadata):
        assert found[table] == (True, True, ["cross_tenant_reads", "owner_maintenance", "tenant_rows"]), table
    assert found["api_token"][0] is False  # UNWALLED, on purpose


def _two_tenants(make):
    a, b = make.tenant(slug="rls-a"), make.tenant(slug="rls-b")
    make.enterprise(a, name="甲企业")
    make.enterprise(b, name="乙企业")
    return a, b


def _raw_names(conn) -> list[str]:
    return sorted(conn.exec_driver_sql("SELECT name FROM enterprise").scalars())


@postgres_only
def test_raw_sql_sees_only_the_tenant_set_and_nothing_without_one(app, make):
    if rls.check_role(db.engine):
        pytest.fail(rls.check_role(db.engine))
    a, b = _two_tenants(make)
    with db.engine.connect() as conn:  # no tenant in scope: no rows, not every row
        assert _raw_names(conn) == []
    with tenant_scope(a.id), db.engine.connect() as conn:
        assert _raw_names(conn) == ["甲企业"]
        # Raw SQL naming the other tenant's rows outright still gets none of them.
        assert conn.exec_driver_sql(f"SELECT count(*) FROM enterprise WHERE tenant_id = {b.id}").scalar() == 0
        # … and cannot write them either.
        assert conn.exec_driver_sql(f"UPDATE enterprise SET name = 'x' WHERE tenant_id = {b.id}").rowcount == 0
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            conn.exec_driver_sql(f"INSERT INTO service_log (tenant_id, served_on, category, summary, follow_up) "
                                 f"VALUES ({b.id}, '2026-01-01', 'consultation', 'x', 'none')")
        conn.rollback()
    with tenant_scope(b.id), db.engine.connect() as conn:
        assert _raw_names(conn) == ["乙企业"]


@postgres_only
def test_cross_tenant_reads_read_every_tenant_and_write_none(app, make):
    if rls.check_role(db.engine):
        pytest.fail(rls.check_role(db.engine))
    a, b = _two_tenants(make)
    with cross_tenant_reads("test: both tenants"), db.engine.connect() as conn:
        assert _raw_names(conn) == ["乙企业", "甲企业"]
        assert conn.exec_driver_sql("UPDATE enterprise SET name = 'x'").rowcount == 0
        conn.rollback()


@postgres_only
def test_the_setting_lives_as_long_as_its_transaction(app, make):
    """SET LOCAL: a pooled connection never carries a tenant to the next transaction."""
    a, _b = _two_tenants(make)
    with db.engine.connect() as conn:
        with tenant_scope(a.id):
            conn.exec_driver_sql("SELECT 1")
            assert conn.exec_driver_sql("SELECT current_setting('app.tenant_id', true)").scalar() == str(a.id)
        conn.commit()
        rls_off = conn.info.pop("rls_off", None)
        conn.info["rls_off"] = True  # look at the raw setting, without this module setting it
        try:
            assert conn.exec_driver_sql("SELECT current_setting('app.tenant_id', true)").scalar() in ("", None)
        finally:
            conn.info.pop("rls_off", None)
            if rls_off is not None:
                conn.info["rls_off"] = rls_off
        conn.rollback()


@postgres_only
def test_a_savepoint_rolled_back_does_not_leave_the_transaction_without_its_tenant(app, make):
    a, _b = _two_tenants(make)
    with tenant_scope(a.id), db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        nested = conn.begin_nested()
        conn.exec_driver_sql("SELECT 1")
        nested.rollback()
        assert _raw_names(conn) == ["甲企业"]
        conn.rollback()


def test_rows_added_in_a_scope_and_flushed_after_it_are_written(app, make):
    """The ORM lets an object added inside tenant_scope be flushed after the block; the database
    is told that tenant for the flush (saas/tenancy.py _flush_tenant)."""
    from tenants.stations.models import Station

    a, _b = _two_tenants(make)
    with tenant_scope(a.id):
        db.session.add(Station(name="后写入的指导站"))
    db.session.commit()
    with tenant_scope(a.id):
        assert db.session.scalar(sa.select(Station.name)) == "后写入的指导站"
