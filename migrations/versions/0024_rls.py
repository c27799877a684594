"""PostgreSQL row-level security on every tenant-owned table (a second wall)

Every table with a tenant_id that exists at this revision (but those saas.rls.UNWALLED lists)
gets its policies; a later migration that creates a tenant table calls saas.rls.enable(op, name).
Nothing on SQLite.

Revision ID: 0024_rls
Revises: 0023_notifications
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa

from saas import rls


# revision identifiers, used by Alembic.
revision = '0024_rls'
down_revision = '0023_notifications'
branch_labels = None
depends_on = None


def _tenant_tables():
    rows = op.get_bind().execute(sa.text(
        "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name"))
    return [name for (name,) in rows if name not in rls.UNWALLED]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tenant_tables():
        rls.enable(op, table)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tenant_tables():
        rls.disable(op, table)
