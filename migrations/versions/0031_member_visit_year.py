"""member_visit_year: each member's guidance visits of a calendar year, counted, kept with the visits

Revision ID: 0031_member_visit_year
Revises: 0030_member_checklist
Create Date: 2026-12-07 13:00:00

"""
from alembic import op
import sqlalchemy as sa

from saas import rls


# revision identifiers, used by Alembic.
revision = '0031_member_visit_year'
down_revision = '0030_member_checklist'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_visit_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_member_visit_year_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_member_visit_year_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_visit_year')),
    sa.UniqueConstraint('tenant_id', 'year', 'enterprise_id', name=op.f('uq_member_visit_year_tenant_id_year_enterprise_id'))
    )
    with op.batch_alter_table('member_visit_year', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_visit_year_tenant_id'), ['tenant_id'], unique=False)
    rls.enable(op, 'member_visit_year')
    # The rows of the visits already there, by the definition of tenants/visits/summary.py.
    v = sa.table('guidance_visit', sa.column('tenant_id'), sa.column('enterprise_id'), sa.column('visited_on', sa.Date))
    year = sa.cast(sa.extract('year', v.c.visited_on), sa.Integer)
    rows = sa.select(v.c.tenant_id, v.c.enterprise_id, year, sa.func.count()).group_by(v.c.tenant_id, v.c.enterprise_id, year)
    kept = sa.table('member_visit_year', *[sa.column(n) for n in ('tenant_id', 'enterprise_id', 'year', 'visits')])
    op.execute(kept.insert().from_select(['tenant_id', 'enterprise_id', 'year', 'visits'], rows))


def downgrade():
    rls.disable(op, 'member_visit_year')
    with op.batch_alter_table('member_visit_year', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_visit_year_tenant_id'))
    op.drop_table('member_visit_year')
