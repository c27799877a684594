"""One log line per request (request id, tenant, user, status, duration); tracebacks for errors."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import g, request
from flask_login import current_user

log = logging.getLogger("saas.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def _start():
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]


def _finish(response):
    duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    tenant = g.get("tenant")
    user_id = current_user.id if current_user and current_user.is_authenticated else "-"
    log.info("%s %s %s status=%s tenant=%s user=%s duration_ms=%.1f", g.get("request_id", "-"),
             request.method, request.path, response.status_code, tenant.slug if tenant else "-",
             user_id, duration)
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
