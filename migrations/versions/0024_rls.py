"""PostgreSQL row-level security on every tenant-owned table (a second wall)

Revision ID: 0024_rls
Revises: 0023_notifications
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_rls'
down_revision = '0023_notifications'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
