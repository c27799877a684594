"""saas.bulk.insert_rows: COPY on PostgreSQL, an executemany on SQLite — the same rows either way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.audit import AuditEvent, record_created
from saas.bulk import insert_rows
from saas.extensions import db
from saas.tenancy import Tenant, TenantScopeError, tenant_scope
from tenants.members.models import Enterprise

from .factories import credit_code_for


def rows_for(tenant_id, numbers):
    return [{"tenant_id": tenant_id, "name": f"批量企业{n}", "credit_code": credit_code_for(n)} for n in numbers]


def test_rows_get_their_ids_and_the_defaults_an_insert_applies(make, ctx):
    park, other = make.tenant(slug="park"), make.tenant(slug="other")
    # The same credit code in another tenant: ids are looked up in the tenant in scope only.
    make.enterprise(other, credit_code=credit_code_for(2))
    with tenant_scope(park.id):
        rows = rows_for(park.id, [1, 2, 3])
        insert_rows(Enterprise.__table__, rows, key="credit_code")
        record_created(Enterprise, rows, label=lambda row: row["name"])
        db.session.commit()
        stored = {e.id: e for e in db.session.scalars(sa.select(Enterprise))}
        assert sorted(stored) == sorted(row["id"] for row in rows)
        for row in rows:
            enterprise = stored[row["id"]]
            assert (enterprise.name, enterprise.credit_code) == (row["name"], row["credit_code"])
            # Column defaults as an ORM insert would store them.
            assert (enterprise.industry, enterprise.employees, enterprise.high_tech, enterprise.status) == \
                ("", 0, False, "liaison")
            assert enterprise.created_at is not None
        events = {e.object_id: e for e in db.session.scalars(sa.select(AuditEvent))}
        assert sorted(events) == sorted(stored)
        first = events[rows[0]["id"]]
        # The JSON column round-trips (COPY writes it as text).
        assert (first.action, first.label, first.changes["credit_code"]) == \
            ("create", "批量企业1", [None, credit_code_for(1)])


def test_rows_of_another_tenant_are_refused_and_nothing_is_written(make, ctx):
    park, other = make.tenant(slug="park"), make.tenant(slug="other")
    with tenant_scope(park.id):
        with pytest.raises(TenantScopeError):
            insert_rows(Enterprise.__table__, rows_for(park.id, [1]) + rows_for(other.id, [2]))
        db.session.rollback()
    with pytest.raises(TenantScopeError):
        insert_rows(Enterprise.__table__, rows_for(park.id, [3]))  # no tenant in scope at all
    db.session.rollback()
    with tenant_scope(park.id):
        assert db.session.scalar(sa.select(sa.func.count(Enterprise.id))) == 0


def test_a_bulk_insert_moves_the_tenants_data_version(make, ctx):
    park = make.tenant(slug="park")
    before = db.session.scalar(sa.select(Tenant.data_version).where(Tenant.id == park.id))
    with tenant_scope(park.id):
        insert_rows(Enterprise.__table__, rows_for(park.id, [1]))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(Tenant.data_version).where(Tenant.id == park.id)) != before
