"""complaints referred from a station to the bureau (LC-3)

Revision ID: 0022_referrals
Revises: 0021_surveys
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_referrals'
down_revision = '0021_surveys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_log_id', sa.Integer(), nullable=False),
    sa.Column('bureau_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('station_name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('enterprise_name', sa.String(length=200), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=300), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('referred_by_id', sa.Integer(), nullable=True),
    sa.Column('referred_at', sa.DateTime(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('received', 'accepted', 'investigated', 'closed', 'declined', 'withdrawn')", name=op.f('ck_referral_status')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureau.id'], name=op.f('fk_referral_bureau_id_bureau')),
    sa.ForeignKeyConstraint(['referred_by_id'], ['user.id'], name=op.f('fk_referral_referred_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_log_id'], ['service_log.id'], name=op.f('fk_referral_service_log_id_service_log')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_referral_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral')),
    sa.UniqueConstraint('tenant_id', 'service_log_id', name=op.f('uq_referral_tenant_id_service_log_id'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_referral_tenant_status', ['tenant_id', 'status'], unique=False)

    op.create_table('referral_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_event_referral_id_referral'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_referral_event_tenant_id_tenant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_referral_event_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_event'))
    )
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_event_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_referral_event_tenant_referral', ['tenant_id', 'referral_id'], unique=False)
        batch_op.create_index('ix_referral_event_tenant_user', ['tenant_id', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_event_tenant_user')
        batch_op.drop_index('ix_referral_event_tenant_referral')
        batch_op.drop_index(batch_op.f('ix_referral_event_tenant_id'))

    op.drop_table('referral_event')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_tenant_status')
        batch_op.drop_index(batch_op.f('ix_referral_tenant_id'))

    op.drop_table('referral')
