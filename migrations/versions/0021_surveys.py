"""questionnaire rounds to member enterprises (LC-2)

Revision ID: 0021_surveys
Revises: 0020_rollup
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_surveys'
down_revision = '0020_rollup'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
