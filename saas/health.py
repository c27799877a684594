"""GET /healthz: is the database reachable, is the queue? No secrets, no tenant data."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from .extensions import db, limiter
from .jobs import queues

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to reach the database means "not ok"
        db.session.rollback()
        database = "unavailable"
    queue = "ok" if queues.available() else "unavailable"
    body = {"database": database, "queue": queue}
    if queue == "ok":
        # What an operator watches (README, "Upgrades and what to watch"): jobs waiting per
        # queue and jobs RQ gave up on (failed after their retries). Counts only.
        try:
            waiting = {name: queues.queue(name).count for name in queues.QUEUES}
            failed = {name: queues.queue(name).failed_job_registry.count for name in queues.QUEUES}
            body.update({"queued": waiting, "failed": failed})
        except Exception:  # a Redis that went away between the ping and the counts
            body["queue"] = "unavailable"
    return jsonify(body), 200 if database == "ok" else 503


@bp.route("/livez")
@limiter.exempt
def livez():
    """Liveness: the process answers (no database, no queue). Also the benchmarks' floor."""
    return {"status": "ok"}
