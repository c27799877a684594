"""scale: indexes for province-wide bureau views and for a tenant's figures at thousands of members

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
    # bureau-speed: the bureau views' "trained enterprises" joins a year's training events (found
    # by ix_training_event_tenant_held) to their attendance by event id; without this index that
    # join read every attendance row of every tenant and year (a sequential scan per roll-up).
    op.create_index("ix_attendance_event", "attendance", ["event_id"])
    # tenant-pages-speed: covering indexes for a tenant's own figures at thousands of members —
    # a period's attendance per member (training coverage) and the checklist items in place per
    # member (tenant metrics) are read from the index alone, without a row lookup each.
    op.drop_index("ix_attendance_tenant_enterprise", table_name="attendance")
    op.create_index("ix_attendance_tenant_enterprise", "attendance",
                    ["tenant_id", "enterprise_id", "event_id", "headcount"])
    op.create_index("ix_checklist_item_tenant_state", "checklist_item", ["tenant_id", "state", "enterprise_id", "code"])


def downgrade():
    op.drop_index("ix_checklist_item_tenant_state", table_name="checklist_item")
    op.drop_index("ix_attendance_tenant_enterprise", table_name="attendance")
    op.create_index("ix_attendance_tenant_enterprise", "attendance", ["tenant_id", "enterprise_id"])
    op.drop_index("ix_attendance_event", table_name="attendance")
