"""tenant data version: what per-tenant caches are keyed on

Revision ID: 0011_tenant_data_version
Revises: 0010_api_tokens
Create Date: 2026-11-21 23:10:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0011_tenant_data_version'
down_revision = '0010_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.String(length=16), server_default='0', nullable=False))
    # Existing tenants get distinct values too: no two databases share a version by accident.
    tenant = sa.table('tenant', sa.column('id', sa.Integer), sa.column('data_version', sa.String))
    conn = op.get_bind()
    for (tenant_id,) in conn.execute(sa.select(tenant.c.id)).all():
        conn.execute(tenant.update().where(tenant.c.id == tenant_id).values(data_version=secrets.token_hex(8)))


def downgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('data_version')
