"""`flask worker`: an RQ worker (with scheduler, for retries) inside the app context."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker

from ..process import settle
from . import embedded, queues


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--queue", "names", multiple=True, help="Queues to serve (default: all).")
@with_appcontext
def worker_command(burst, names):
    server = None
    if not current_app.config["REDIS_URL"]:
        server = embedded.ensure_running(current_app.instance_path)
    names = names or queues.QUEUES
    conn = queues.connection()
    # Features register recurring work here (e.g. the nightly readiness snapshot).
    for schedule in current_app.extensions.get("worker_schedules", []):
        schedule()
    settle()  # before the work horses fork
    # An idle worker looks for abandoned jobs only when its blocking dequeue times out, which
    # RQ sets at worker_ttl - 15 s: the two are set together so the look comes on time.
    every = current_app.config["JOB_MAINTENANCE_SECONDS"]
    try:
        Worker([queues.queue(n) for n in names], connection=conn, maintenance_interval=every,
               worker_ttl=every + 15).work(
            burst=burst, with_scheduler=True, logging_level=current_app.config["LOG_LEVEL"]
        )
    finally:
        if server is not None:
            server.stop()
