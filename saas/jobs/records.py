"""JobRecord: what the UI shows about a background job (queued → running → done / failed)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..tenancy import TenantScoped, utcnow

STATUSES = ("queued", "running", "done", "failed")


class JobRecord(TenantScoped, db.Model):
    __audited__ = False  # progress updates are not business changes
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(sa.String(200))
    # Same key while the same work is queued or running: a double click enqueues once.
    key: Mapped[str] = mapped_column(sa.String(200))
    # The action (saas.auth.permissions) a user needs to see the result.
    permission: Mapped[str] = mapped_column(sa.String(64))
    args: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_job_record_tenant_key", "tenant_id", "key"),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
    )

    @property
    def rq_id(self) -> str:
        return f"job-{self.tenant_id}-{self.id}"

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def as_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "progress": self.progress,
                "message": self.message, "has_file": bool(self.result and self.result.get("file"))}
