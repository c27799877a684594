"""periodic reports (TJ-6 work report, CQ-4 progress reports, XC-2 annual summary)

Revision ID: 0019_reports
Revises: 0018_guidance
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_reports'
down_revision = '0018_guidance'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
