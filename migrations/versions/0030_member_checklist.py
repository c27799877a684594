"""member_checklist: each member's checklist items in place, counted, kept with the items

Revision ID: 0030_member_checklist
Revises: 0029_member_training_year
Create Date: 2026-12-07 12:30:00

"""
from alembic import op
import sqlalchemy as sa

from saas import rls


# revision identifiers, used by Alembic.
revision = '0030_member_checklist'
down_revision = '0029_member_training_year'
branch_labels = None
depends_on = None

# tenants/members/checklists.py as of this revision
CORE_ITEMS = ('five.organisation', 'five.personnel', 'five.premises', 'five.rules', 'five.measures', 'three.people',
              'three.technical', 'three.physical')
RULES_ITEM = 'five.rules'
LEAK_PLAN_ITEM = 'ruleset.leak_emergency_plan'


def upgrade():
    op.create_table('member_checklist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('rules', sa.Integer(), nullable=False),
    sa.Column('core', sa.Integer(), nullable=False),
    sa.Column('leak', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_member_checklist_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_member_checklist_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_checklist')),
    sa.UniqueConstraint('tenant_id', 'enterprise_id', name=op.f('uq_member_checklist_tenant_id_enterprise_id'))
    )
    with op.batch_alter_table('member_checklist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_checklist_tenant_id'), ['tenant_id'], unique=False)
    rls.enable(op, 'member_checklist')
    # The rows of the items already there, by the definition of tenants/members/checklist_summary.py live().
    c = sa.table('checklist_item', sa.column('tenant_id'), sa.column('enterprise_id'), sa.column('code'),
                 sa.column('state'))
    one = lambda cond: sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)  # noqa: E731
    rows = (sa.select(c.c.tenant_id, c.c.enterprise_id, one(c.c.code == RULES_ITEM), one(c.c.code.in_(CORE_ITEMS)),
                      one(c.c.code == LEAK_PLAN_ITEM))
            .where(c.c.state == 'in_place').group_by(c.c.tenant_id, c.c.enterprise_id))
    kept = sa.table('member_checklist', *[sa.column(n) for n in ('tenant_id', 'enterprise_id', 'rules', 'core', 'leak')])
    op.execute(kept.insert().from_select(['tenant_id', 'enterprise_id', 'rules', 'core', 'leak'], rows))


def downgrade():
    rls.disable(op, 'member_checklist')
    with op.batch_alter_table('member_checklist', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_checklist_tenant_id'))
    op.drop_table('member_checklist')
