"""One log line per request (request id, tenant, user, status, duration); tracebacks for errors."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

import sqlalchemy as sa
from flask import g, request

log = logging.getLogger("saas.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def _start():
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]


def _loaded(obj, attribute: str) -> str:
    """An attribute as already loaded, never a query: after a failed transaction (the database
    restarting) the user and the tenant are expired, and the log line must not fail the response."""
    state = sa.inspect(obj, raiseerr=False) if obj is not None else None
    if state is None:
        return "-"
    value = state.dict.get(attribute)
    if value is None and attribute == "id" and state.identity:
        value = state.identity[0]
    return str(value) if value is not None else "-"


def _finish(response):
    duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    log.info("%s %s %s status=%s tenant=%s user=%s duration_ms=%.1f", g.get("request_id", "-"),
             request.method, request.path, response.status_code, _loaded(g.get("tenant"), "slug"),
             _loaded(g.get("_login_user"), "id"), duration)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response


def init_app(app):
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    root = logging.getLogger()
    if not any(getattr(h, "_saas", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler._saas = True
        root.addHandler(handler)
    root.setLevel(level)
    app.before_request(_start)
    app.after_request(_finish)
