"""Background jobs on a real Valkey/Redis through real `flask worker --burst` processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from saas import create_app
from saas.extensions import db
from saas.jobs import JobRecord
from saas.tenancy import tenant_scope

from . import job_tasks
from .conftest import TEST_CONFIG, Client

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run_worker() -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
                            cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture
def tenant_admin(make, login_as):
    tenant = make.tenant(slug="jobs")
    make.user("admin@example.com", name="管理员", tenant=tenant, role="admin")
    for i in range(3):
        make.user(f"member{i}@example.com", tenant=tenant, role="staff")
    return tenant, login_as("admin@example.com")


def test_export_runs_on_a_real_worker_and_its_status_shows(tenant_admin):
    tenant, client = tenant_admin
    response = client.post(f"/t/{tenant.slug}/settings/users/export")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert client.get(job_url + ".json").get_json()["status"] == "queued"
    page = client.get(job_url).get_data(as_text=True)
    assert "排队中" in page
    # The page says what is being made and links back to where it was started.
    assert "<h1 class=\"h3\">本基地用户（电子表格）</h1>" in page
    assert f'href="/t/{tenant.slug}/settings/users" id="job-back"' in page
    run_worker()
    status = client.get(job_url + ".json").get_json()
    assert status == {"id": status["id"], "status": "done", "progress": 100, "message": "", "has_file": True}
    download = client.get(job_url + "/download")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data)).active
    emails = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert emails == {"admin@example.com", "member0@example.com", "member1@example.com", "member2@example.com"}
    assert sheet.cell(1, 1).value == "名称"  # the export speaks the user's language


def test_double_submit_enqueues_once(tenant_admin):
    tenant, client = tenant_admin
    first = client.post(f"/t/{tenant.slug}/settings/users/export").headers["Location"]
    second = client.post(f"/t/{tenant.slug}/settings/users/export").headers["Location"]
    assert first == second
    with tenant_scope(tenant.id):
        assert db.session.scalar(sa.select(sa.func.count(JobRecord.id))) == 1


def _enqueue(app, tenant, task):
    with app.test_request_context(), tenant_scope(tenant.id):
        return task.enqueue().id


def test_killed_job_ends_failed_with_a_reason_and_can_be_retried(app, tenant_admin):
    tenant, client = tenant_admin
    job_id = _enqueue(app, tenant, job_tasks.die_mid_run)
    run_worker()
    status = client.get(f"/t/{tenant.slug}/jobs/{job_id}.json").get_json()
    assert status["status"] == "failed" and status["message"] == "worker_lost"
    page = client.get(f"/t/{tenant.slug}/jobs/{job_id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "stopped while running" in text or "意外停止" in text
    retry = client.post(f"/t/{tenant.slug}/jobs/{job_id}/retry")
    assert retry.status_code == 302
    assert client.get(f"/t/{tenant.slug}/jobs/{job_id}.json").get_json()["status"] == "queued"


def test_killed_job_with_retries_is_retried_and_finishes(app, tenant_admin):
    tenant, client = tenant_admin
    job_id = _enqueue(app, tenant, job_tasks.die_first_time)
    run_worker()
    with tenant_scope(tenant.id):
        db.session.expire_all()
        record = db.session.get(JobRecord, job_id)
        assert (record.status, record.attempts, record.result) == ("done", 2, {"attempt": 2})


def test_pages_render_and_jobs_say_so_when_redis_is_down(tenant_admin):
    tenant, _ = tenant_admin
    down = create_app({**TEST_CONFIG, "REDIS_URL": "redis://127.0.0.1:9/0"})
    down.test_client_class = Client
    client = down.test_client()
    assert client.post("/login", data={"email": "admin@example.com", "password": "correct-horse-battery"}).status_code == 302
    assert client.get(f"/t/{tenant.slug}/settings/users").status_code == 200
    response = client.post(f"/t/{tenant.slug}/settings/users/export", follow_redirects=True,
                           headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "后台任务服务暂时不可用" in response.get_data(as_text=True) or \
        "Background work is unavailable" in response.get_data(as_text=True)
    with tenant_scope(tenant.id):
        assert db.session.scalar(sa.select(sa.func.count(JobRecord.id))) == 0
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"database": "ok", "queue": "unavailable"}


def test_nightly_jobs_are_queued_once_per_night_at_their_time(app, ctx):
    """Every worker start calls the registered schedules; repeats must not stack up jobs."""
    from datetime import datetime, time

    from saas.jobs import queues
    from saas.jobs.schedule import next_run

    evening = datetime(2026, 3, 1, 23, 0)
    assert next_run(time(2, 0), evening) == datetime(2026, 3, 2, 2, 0)
    assert next_run(time(23, 30), evening) == datetime(2026, 3, 1, 23, 30)
    assert next_run(time(23, 0), evening) == datetime(2026, 3, 2, 23, 0)  # "now" has passed

    schedules = app.extensions["worker_schedules"]
    ids = [schedule(evening) for schedule in schedules] + [schedule(evening) for schedule in schedules]
    assert sorted(set(ids)) == ["readiness-nightly-20260302", "reminders-20260302", "reports-overdue-20260302",
                                "retention-20260302", "statistics-20260302", "tenant-purge-20260302"]
    queue = queues.queue("default")
    assert sorted(queue.scheduled_job_registry.get_job_ids()) == sorted(set(ids))
    job = queue.fetch_job("reminders-20260302")
    assert job.func_name == "tenants.deadlines.tasks.nightly"
    assert queue.scheduled_job_registry.get_scheduled_time(job).replace(tzinfo=None) \
        == datetime(2026, 3, 2, 6, 30)
