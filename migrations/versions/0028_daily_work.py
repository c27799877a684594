"""daily work: landing, first-run checklist, pickers

Revision ID: 0028_daily_work
Revises: 0027_scale
Create Date: 2026-12-07 06:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0028_daily_work'
down_revision = '0027_scale'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
