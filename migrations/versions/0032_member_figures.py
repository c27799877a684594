"""member_figures: a tenant's member figures of a calendar year, kept with the rows they count

Revision ID: 0032_member_figures
Revises: 0031_member_visit_year
Create Date: 2026-12-07 19:00:00

"""
from alembic import op
import sqlalchemy as sa

from saas import rls


# revision identifiers, used by Alembic.
revision = '0032_member_figures'
down_revision = '0031_member_visit_year'
branch_labels = None
depends_on = None

FIGURES = ('active', 'with_liaison', 'demonstration', 'adopted', 'rules', 'work', 'leak', 'five_three', 'by_others',
           'trained', 'everyone', 'visits', 'lowest', 'below')


def upgrade():
    op.create_table('member_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=name == 'lowest') for name in FIGURES],
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_member_figures_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_figures')),
    sa.UniqueConstraint('tenant_id', 'year', name=op.f('uq_member_figures_tenant_id_year'))
    )
    with op.batch_alter_table('member_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_figures_tenant_id'), ['tenant_id'], unique=False)
    rls.enable(op, 'member_figures')
    # No rows: a year without its row is computed when read, as before; the first write of a
    # tenant's members keeps its rows (or `flask tenants training-summary` for every tenant).


def downgrade():
    rls.disable(op, 'member_figures')
    with op.batch_alter_table('member_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_figures_tenant_id'))
    op.drop_table('member_figures')
