"""/api/v1/tenants/<slug>/jobs/<id>: a background job started through the API (a large roster
import answers 202 with it), polled until it is done or failed."""

from __future__ import annotations

from flask import g, url_for

from ..extensions import db
from ..jobs import JobRecord
from . import ApiError, tenant_route

# What a finished job's result may show through the API (files are fetched from the pages).
PUBLIC_RESULT = ("created", "updated", "unchanged", "errors")


def job_json(record: JobRecord) -> dict:
    result = record.result or {}
    return {**record.as_dict(), "url": url_for("api.job", tenant_slug=g.tenant.slug, job_id=record.id),
            "result": {k: v for k, v in result.items() if k in PUBLIC_RESULT}}


@tenant_route("/jobs/<int:job_id>", "jobs.view")
def job(job_id):
    record = db.session.get(JobRecord, job_id)  # tenant-scoped: another tenant's job is None
    if record is None or not g.access.can(record.permission):
        raise ApiError(404)
    return job_json(record)
