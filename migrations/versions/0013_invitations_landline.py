"""invitations of existing accounts need their acceptance; known sign-in devices and addresses;
liaison landline beside the mobile

Revision ID: 0013_invitations_landline
Revises: 0012_signed_out_session
Create Date: 2026-12-02 00:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013_invitations_landline'
down_revision = '0012_signed_out_session'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tenant_invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'staff', 'enterprise', 'instructor')",
                           name=op.f('ck_tenant_invitation_role')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'],
                                name=op.f('fk_tenant_invitation_enterprise_id_enterprise'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'],
                                name=op.f('fk_tenant_invitation_invited_by_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'],
                                name=op.f('fk_tenant_invitation_tenant_id_tenant'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_tenant_invitation_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant_invitation')),
        sa.UniqueConstraint('tenant_id', 'user_id', name=op.f('uq_tenant_invitation_tenant_id_user_id')),
    )
    with op.batch_alter_table('tenant_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenant_invitation_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenant_invitation_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenant_invitation_user_id'), ['user_id'], unique=False)
    op.create_table(
        'known_sign_in',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_known_sign_in_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'source', name=op.f('pk_known_sign_in')),
    )
    with op.batch_alter_table('known_sign_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_sign_in_last_seen_at'), ['last_seen_at'], unique=False)
    with op.batch_alter_table('liaison_person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('landline', sa.String(length=32), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('liaison_person', schema=None) as batch_op:
        batch_op.drop_column('landline')
    with op.batch_alter_table('known_sign_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_sign_in_last_seen_at'))
    op.drop_table('known_sign_in')
    with op.batch_alter_table('tenant_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenant_invitation_user_id'))
        batch_op.drop_index(batch_op.f('ix_tenant_invitation_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_tenant_invitation_enterprise_id'))
    op.drop_table('tenant_invitation')
