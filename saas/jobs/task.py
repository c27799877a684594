"""The one job decorator: queue, timeout, retries for transient errors, failure TTL, status.

    @job(queue="documents", timeout=600, permission="applications.view")
    def render_dossier(ctx, application_id): ...

    record = render_dossier.enqueue(application_id, key=f"dossier:{application_id}:{version}")

Jobs get plain ids, never ORM objects, and run inside their tenant's scope (DESIGN.md).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import redis
import sqlalchemy as sa
import sqlalchemy.exc
from flask import current_app, has_app_context
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from ..extensions import db
from ..audit import acting_as
from ..tenancy import tenant_scope, utcnow
from . import queues
from .records import JobRecord

log = logging.getLogger(__name__)

# Failures worth another try: the network, the database being busy or restarting.
TRANSIENT = (OSError, redis.RedisError, sqlalchemy.exc.OperationalError)
REGISTRY: dict[str, "Task"] = {}
# Message codes the status page translates.
WORKER_LOST = "worker_lost"
QUEUE_DOWN = "queue_unavailable"
INTERNAL = "internal_error"
TRANSIENT_FAILURE = "transient_error"


class JobFailed(Exception):
    """A job's own, permanent failure; its message (and `details`, e.g. row errors of an
    import) is shown to the user. No retry."""

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.details = details


@dataclass
class JobContext:
    record_id: int

    def progress(self, percent: int) -> None:
        """Report progress through the job's Redis metadata, never the database: a job's own
        transaction (an import, say) must commit once, at the end, or not at all."""
        rq_job = get_current_job()
        if rq_job is not None:
            rq_job.meta["progress"] = max(0, min(100, int(percent)))
            rq_job.save_meta()


@dataclass
class Task:
    func: callable
    queue: str
    timeout: int
    retries: int
    intervals: tuple[int, ...]
    permission: str
    # What the job makes and where it came from, for its status page: callables of the job's
    # own arguments (title → text, back → URL), so the page says "the 2026 plan as PDF" and
    # links to that plan rather than showing a bare job number.
    title: object = None
    back: object = None
    name: str = field(init=False)

    def __post_init__(self):
        self.name = f"{self.func.__module__}:{self.func.__qualname__}"
        REGISTRY[self.name] = self

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def describe(self, record: JobRecord) -> tuple[str | None, str | None]:
        """(what the job makes, the page it belongs to) for `record`, or None for either one the
        task does not say — or cannot say for arguments from an older version of the code."""
        out = []
        for part in (self.title, self.back):
            try:
                out.append(str(part(*record.args)) if part is not None else None)
            except Exception:  # noqa: BLE001 — a description must never break the status page
                log.warning("job %s: cannot describe %s", record.id, self.name, exc_info=True)
                out.append(None)
        return out[0], out[1]

    def enqueue(self, *args, key: str | None = None, user_id: int | None = None) -> JobRecord:
        """Record and queue the job in the current tenant; the same live key returns the same job.

        Raises QueueUnavailable (nothing recorded) when Redis cannot be reached.
        """
        key = key or f"{self.name}:{args!r}"
        existing = db.session.scalar(
            sa.select(JobRecord)
            .where(JobRecord.key == key, JobRecord.status.in_(("queued", "running")))
            .order_by(JobRecord.id.desc())
        )
        if existing is not None:
            return existing
        if not queues.available():
            raise queues.QueueUnavailable()
        record = JobRecord(task=self.name, key=key, permission=self.permission, args=list(args),
                           created_by_id=user_id)
        db.session.add(record)
        db.session.commit()  # the worker must see the record before it runs
        self._send(record)
        return record

    def retry(self, record: JobRecord) -> JobRecord:
        """Queue a failed job again with the arguments it had."""
        if not queues.available():
            raise queues.QueueUnavailable()
        record.status, record.progress, record.message = "queued", 0, ""
        record.result, record.started_at, record.finished_at = None, None, None
        db.session.commit()
        self._send(record)
        return record

    def enqueue_platform(self, *args, job_id: str) -> str:
        """Queue a platform job, outside every tenant, that keeps its own state in its own rows
        (the mail outbox, saas/mail.py) instead of a JobRecord: same queue, timeout, retries and
        failure TTL. The task gets `None` for its context. Raises QueueUnavailable."""
        retry = Retry(max=self.retries, interval=list(self.intervals)) if self.retries else None
        try:
            queues.queue(self.queue).enqueue(run_platform, self.name, list(args), job_id=job_id,
                                             job_timeout=self.timeout, retry=retry,
                                             failure_ttl=current_app.config["JOB_FAILURE_TTL"],
                                             result_ttl=3600)
        except (redis.RedisError, OSError) as exc:
            raise queues.QueueUnavailable() from exc
        return job_id

    def _send(self, record: JobRecord) -> None:
        retry = Retry(max=self.retries, interval=list(self.intervals)) if self.retries else None
        try:
            q = queues.queue(self.queue)
            try:  # a retried record reuses its RQ id; drop the old RQ job first
                Job.fetch(record.rq_id, connection=q.connection).delete()
            except NoSuchJobError:
                pass
            q.enqueue(run, record.id, record.tenant_id, job_id=record.rq_id, job_timeout=self.timeout,
                      retry=retry, failure_ttl=current_app.config["JOB_FAILURE_TTL"],
                      result_ttl=24 * 3600)
        except (redis.RedisError, OSError) as exc:
            record.status, record.message = "failed", QUEUE_DOWN
            db.session.commit()
            raise queues.QueueUnavailable() from exc


def job(queue: str = "default", timeout: int = 300, retries: int = 2,
        intervals: tuple[int, ...] = (10, 60), permission: str = "jobs.view", title=None, back=None):
    """Declare a background job; see the module docstring. `title` and `back` take the job's
    arguments and return what it makes and the URL of the page it was started from."""
    def decorator(func):
        return Task(func, queue, timeout, retries, intervals, permission, title, back)
    return decorator


_app = None
_engine_pid = None


def _app_context():
    """The worker's app context: the one `flask worker` pushed, or one made here."""
    global _app
    if has_app_context():
        return current_app.app_context()
    if _app is None:
        from .. import create_app

        _app = create_app()
    return _app.app_context()


def run(record_id: int, tenant_id: int):
    """What RQ executes: enter app and tenant, run the task, keep the record true."""
    global _engine_pid
    with _app_context(), tenant_scope(tenant_id):
        if _engine_pid != os.getpid():
            # RQ forks a work horse per job: never share the parent's pooled connections.
            db.engine.dispose(close=False)
            _engine_pid = os.getpid()
        record = db.session.get(JobRecord, record_id)
        if record is None:
            return None  # deleted while queued: nothing to do
        task = REGISTRY.get(record.task) or _import_task(record.task)
        record.status, record.started_at, record.progress = "running", utcnow(), 0
        record.attempts += 1
        db.session.commit()
        try:
            with acting_as(record.created_by_id):
                result = task.func(JobContext(record_id), *record.args)
        except JobFailed as exc:
            db.session.rollback()
            # Permanent: the same input would fail the same way, so the page offers no retry.
            _finish(record_id, "failed", str(exc), {**(exc.details or {}), "permanent": True})
            return None
        except TRANSIENT as exc:
            db.session.rollback()
            rq_job = get_current_job()
            will_retry = bool(rq_job and rq_job.retries_left)
            log.warning("job %s: transient failure (%s)", record_id, exc)
            _finish(record_id, "queued" if will_retry else "failed", TRANSIENT_FAILURE)
            raise
        except Exception:
            db.session.rollback()
            # The details (paths, SQL) go to the log, not to the user.
            log.exception("job %s failed", record_id)
            _finish(record_id, "failed", INTERNAL)
            return None
        _finish(record_id, "done", "", result)
        return None


def run_platform(name: str, args: list):
    """What RQ executes for `Task.enqueue_platform`: the app, no tenant; the task records its own
    outcome. A transient failure is raised again, so RQ retries it (the task's `retries`)."""
    global _engine_pid
    with _app_context():
        if _engine_pid != os.getpid():
            db.engine.dispose(close=False)
            _engine_pid = os.getpid()
        task = REGISTRY.get(name) or _import_task(name)
        try:
            return task.func(None, *args)
        except (*TRANSIENT, JobFailed):
            # No JobRecord here: RQ keeps the failure and its message (the nightly backup).
            db.session.rollback()
            raise
        except Exception:
            db.session.rollback()
            log.exception("platform job %s failed", name)
            return None


def _finish(record_id: int, status: str, message: str, result: dict | None = None) -> None:
    record = db.session.get(JobRecord, record_id)
    record.status, record.message = status, message
    if status != "queued":
        record.finished_at = utcnow()
    if status == "done":
        record.progress = 100
    if result is not None:
        record.result = result
    db.session.commit()


def _import_task(name: str) -> Task:
    import importlib

    module, _, _attr = name.partition(":")
    importlib.import_module(module)  # registers its tasks
    return REGISTRY[name]


def reconcile(record: JobRecord) -> JobRecord:
    """Bring a queued/running record in line with RQ, so a killed worker never leaves a job
    "running" for ever. Redis being down changes nothing."""
    if record.finished:
        return record
    try:
        rq_job = Job.fetch(record.rq_id, connection=queues.connection())
        status = rq_job.get_status(refresh=True)
    except NoSuchJobError:
        rq_job, status = None, None
    except (redis.RedisError, OSError):
        return record
    if record.status == "running" and rq_job is not None and status == JobStatus.STARTED:
        record.progress = rq_job.get_meta(refresh=True).get("progress", record.progress)
        return record
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED) or rq_job is None:
        # `run` records every failure it sees; RQ failing the job on its own means the work
        # horse died (killed, out of memory) before it could.
        record.status, record.message, record.finished_at = "failed", WORKER_LOST, utcnow()
        db.session.commit()
    elif status in (JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.DEFERRED) and record.status == "running":
        record.status = "queued"
        db.session.commit()
    return record


def task_for(record: JobRecord) -> Task:
    return REGISTRY.get(record.task) or _import_task(record.task)


