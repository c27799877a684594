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
    pass


def downgrade():
    pass
