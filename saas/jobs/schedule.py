"""Nightly jobs without a cron: each run queues the next one at a fixed time of day.

The job id carries the date, so scheduling twice (every worker start, every run) queues
one job per night, and a worker that was down over night picks up where it left off.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Callable

from . import queues


def next_run(at: time, now: datetime | None = None) -> datetime:
    """The next moment the clock shows `at`, strictly after `now`."""
    now = now or datetime.now()
    run_at = datetime.combine(now.date(), at)
    return run_at if run_at > now else run_at + timedelta(days=1)


def schedule_daily(func: Callable, at: time, prefix: str, now: datetime | None = None) -> str:
    """Queue `func` for the next `at` unless that night's job is already queued; its id."""
    run_at = next_run(at, now)
    queue = queues.queue("default")
    job_id = f"{prefix}-{run_at:%Y%m%d}"
    if queue.fetch_job(job_id) is None:
        queue.enqueue_at(run_at, func, job_id=job_id, job_timeout=3600)
    return job_id
