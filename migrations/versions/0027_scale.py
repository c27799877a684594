"""scale: indexes and figures for province-wide bureau views

Revision ID: 0027_scale
Revises: 0026_personal_data
Create Date: 2026-12-07 06:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0027_scale'
down_revision = '0026_personal_data'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
