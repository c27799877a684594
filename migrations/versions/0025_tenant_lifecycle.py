"""tenant suspension dates and the platform's record of purged tenants

Revision ID: 0025_tenant_lifecycle
Revises: 0024_rls
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_tenant_lifecycle'
down_revision = '0024_rls'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
