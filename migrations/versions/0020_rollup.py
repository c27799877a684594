"""bureau roll-up: CQ-4 qualitative indicators per district

Revision ID: 0020_rollup
Revises: 0019_reports
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_rollup'
down_revision = '0019_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('district_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bureau_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('met', 'partly', 'not_met')", name=op.f('ck_district_indicator_state')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureau.id'], name=op.f('fk_district_indicator_bureau_id_bureau'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_district_indicator_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_district_indicator')),
    sa.UniqueConstraint('bureau_id', 'year', 'code', name=op.f('uq_district_indicator_bureau_id_year_code'))
    )
    with op.batch_alter_table('bureau_target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('liaison_enterprises', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('bureau_target', schema=None) as batch_op:
        batch_op.drop_column('liaison_enterprises')
    op.drop_table('district_indicator')
