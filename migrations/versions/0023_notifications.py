"""mail preferences per user; notification kinds

Revision ID: 0023_notifications
Revises: 0022_referrals
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_notifications'
down_revision = '0022_referrals'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
