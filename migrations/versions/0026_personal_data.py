"""personal data: erasure of liaison persons, export choices

Revision ID: 0026_personal_data
Revises: 0025_tenant_lifecycle
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_personal_data'
down_revision = '0025_tenant_lifecycle'
branch_labels = None
depends_on = None


def upgrade():
    # A liaison person erased on request keeps the row and its dates (the dated figures), not who.
    # (Exports with contacts and erasures are audit events: no table of their own.)
    with op.batch_alter_table('liaison_person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('erased_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_liaison_person_erased_by_id_user'), 'user', ['erased_by_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('liaison_person', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_liaison_person_erased_by_id_user'), type_='foreignkey')
        batch_op.drop_column('erased_by_id')
        batch_op.drop_column('erased_at')
