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
    return jsonify({"database": database, "queue": queue}), 200 if database == "ok" else 503


@bp.route("/livez")
@limiter.exempt
def livez():
    """Liveness: the process answers (no database, no queue). Also the benchmarks' floor."""
    return {"status": "ok"}
