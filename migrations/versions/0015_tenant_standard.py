"""the set of local standards a tenant follows (Chongqing, Wuhan, Tianjin, Xicheng)

Revision ID: 0015_tenant_standard
Revises: 0014_recognitions
Create Date: 2026-12-02 00:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015_tenant_standard'
down_revision = '0014_recognitions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standard', sa.String(length=8), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('standard')
