"""tenant suspension dates and the platform's record of purged tenants

Revision ID: 0025_tenant_lifecycle
Revises: 0024_rls
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_tenant_lifecycle'
down_revision = '0024_rls'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('suspended_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('purge_after', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tenant_suspended_by_id_user'), 'user', ['suspended_by_id'], ['id'],
                                    ondelete='SET NULL')

    op.create_table('purged_tenant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('former_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('suspended_at', sa.DateTime(), nullable=True),
    sa.Column('purged_at', sa.DateTime(), nullable=False),
    sa.Column('purged_by_id', sa.Integer(), nullable=True),
    sa.Column('row_counts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['purged_by_id'], ['user.id'], name=op.f('fk_purged_tenant_purged_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purged_tenant'))
    )
    with op.batch_alter_table('purged_tenant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purged_tenant_slug'), ['slug'], unique=False)


def downgrade():
    with op.batch_alter_table('purged_tenant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purged_tenant_slug'))

    op.drop_table('purged_tenant')
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tenant_suspended_by_id_user'), type_='foreignkey')
        batch_op.drop_column('purge_after')
        batch_op.drop_column('suspended_by_id')
        batch_op.drop_column('suspended_at')
