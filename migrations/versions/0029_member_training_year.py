"""member_training_year: each member's training of a calendar year, kept with the attendance it sums

Revision ID: 0029_member_training_year
Revises: 0028_follow_up_index
Create Date: 2026-12-07 09:30:00

"""
from alembic import op
import sqlalchemy as sa

from saas import rls


# revision identifiers, used by Alembic.
revision = '0029_member_training_year'
down_revision = '0028_follow_up_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_training_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('largest', sa.Integer(), nullable=False),
    sa.Column('named', sa.Integer(), nullable=False),
    sa.Column('by_others', sa.Integer(), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_member_training_year_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_member_training_year_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_training_year')),
    sa.UniqueConstraint('tenant_id', 'year', 'enterprise_id', name=op.f('uq_member_training_year_tenant_id_year_enterprise_id'))
    )
    with op.batch_alter_table('member_training_year', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_training_year_tenant_id'), ['tenant_id'], unique=False)
    rls.enable(op, 'member_training_year')
    # The rows of the data already there, by the definition of tenants/training/summary.py live().
    a = sa.table('attendance', sa.column('tenant_id'), sa.column('enterprise_id'), sa.column('event_id'),
                 sa.column('headcount'), sa.column('id'))
    e = sa.table('training_event', sa.column('id'), sa.column('tenant_id'), sa.column('held_on', sa.Date),
                 sa.column('organiser'))
    tr = sa.table('trainee', sa.column('tenant_id'), sa.column('attendance_id'), sa.column('name'))
    year = sa.cast(sa.extract('year', e.c.held_on), sa.Integer)
    by_others = sa.and_(e.c.organiser != 'enterprise', a.c.headcount > 0)
    attended = (sa.select(a.c.tenant_id, a.c.enterprise_id, year.label('year'), sa.func.count().label('events'),
                          sa.func.max(a.c.headcount).label('largest'),
                          sa.func.max(sa.case((by_others, 1), else_=0)).label('by_others'),
                          sa.func.min(e.c.held_on).label('first_on'))
                .select_from(a.join(e, sa.and_(e.c.id == a.c.event_id, e.c.tenant_id == a.c.tenant_id)))
                .group_by(a.c.tenant_id, a.c.enterprise_id, year).subquery())
    named = (sa.select(a.c.tenant_id, a.c.enterprise_id, year.label('year'),
                       sa.func.count(sa.distinct(tr.c.name)).label('named'))
             .select_from(tr.join(a, sa.and_(a.c.tenant_id == tr.c.tenant_id, a.c.id == tr.c.attendance_id))
                          .join(e, sa.and_(e.c.id == a.c.event_id, e.c.tenant_id == a.c.tenant_id)))
             .group_by(a.c.tenant_id, a.c.enterprise_id, year).subquery())
    rows = (sa.select(attended.c.tenant_id, attended.c.enterprise_id, attended.c.year, attended.c.events,
                      attended.c.largest, sa.func.coalesce(named.c.named, 0), attended.c.by_others, attended.c.first_on)
            .select_from(attended.outerjoin(named, sa.and_(named.c.tenant_id == attended.c.tenant_id,
                                                          named.c.enterprise_id == attended.c.enterprise_id,
                                                          named.c.year == attended.c.year))))
    kept = sa.table('member_training_year', *[sa.column(c) for c in (
        'tenant_id', 'enterprise_id', 'year', 'events', 'largest', 'named', 'by_others', 'first_on')])
    op.execute(kept.insert().from_select(['tenant_id', 'enterprise_id', 'year', 'events', 'largest', 'named',
                                          'by_others', 'first_on'], rows))


def downgrade():
    rls.disable(op, 'member_training_year')
    with op.batch_alter_table('member_training_year', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_training_year_tenant_id'))
    op.drop_table('member_training_year')
