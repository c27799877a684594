"""signed-out sessions in the database: checked by the statement that loads the user

Revision ID: 0012_signed_out_session
Revises: 0011_tenant_data_version
Create Date: 2026-11-22 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012_signed_out_session'
down_revision = '0011_tenant_data_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signed_out_session',
        sa.Column('sid', sa.String(length=43), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('sid', name=op.f('pk_signed_out_session')),
    )
    with op.batch_alter_table('signed_out_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signed_out_session_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('signed_out_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signed_out_session_expires_at'))
    op.drop_table('signed_out_session')
