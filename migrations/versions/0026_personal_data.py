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
    pass


def downgrade():
    pass
