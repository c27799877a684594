"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from saas.extensions import db


def test_models_and_migrations_agree(app, ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"run `flask db migrate`: {diff}"


# Platform tables that point at a tenant but are not owned by it: an API token is found by its
# hash across all tenants (it says which tenant it belongs to).
PLATFORM_TABLES = {"tenant", "api_token"}


def test_every_tenant_owned_table_leads_with_tenant_id(app):
    for table in db.metadata.sorted_tables:
        if "tenant_id" not in table.c or table.name in PLATFORM_TABLES:
            continue
        assert table.c.tenant_id.nullable is False, table.name
        assert any(list(ix.columns)[0].name == "tenant_id" for ix in table.indexes), table.name
        for constraint in table.constraints:
            cols = [c.name for c in getattr(constraint, "columns", [])]
            if constraint.__class__.__name__ == "UniqueConstraint":
                assert cols[0] == "tenant_id", (table.name, cols)
