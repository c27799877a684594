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
    pass


def downgrade():
    pass
