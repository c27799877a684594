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
MASK = "[masked]"


class SecretPaths(logging.Filter):
    """Masks the secret in the paths of links that carry one (`/reset/<token>`,
    `/invite/<token>`, `/calendar/<token>.ics`): a log line must not hand out a working link.
    The prefixes come from the URL map (every rule with a `token` argument), so a new secret
    link is masked without touching this file. Applied to this module's request lines and to
    the access logs of werkzeug's and gunicorn's servers."""

    def __init__(self, app):
        super().__init__()
        self.app = app
        self._pattern = None

    def pattern(self) -> re.Pattern:
        if self._pattern is None:
            prefixes = sorted({r.rule.split("<token>")[0] for r in self.app.url_map.iter_rules()
                               if "token" in r.arguments})
            alternatives = "|".join(re.escape(p) for p in prefixes) or r"(?!)"
            self._pattern = re.compile(rf"((?:{alternatives}))[^\s/?\"]+?(\.ics)?(?=[\s?\"]|$)")
        return self._pattern

    def mask(self, text: str) -> str:
        return self.pattern().sub(lambda m: m.group(1) + MASK + (m.group(2) or ""), text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(self.mask(a) if isinstance(a, str) else a for a in record.args) \
                if isinstance(record.args, tuple) else record.args
        if isinstance(record.msg, str):
            record.msg = self.mask(record.msg)
        return True


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


def _path() -> str:
    token = (request.view_args or {}).get("token")
    return request.path.replace(token, MASK) if isinstance(token, str) and token else request.path


def _finish(response):
    duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    log.info("%s %s %s status=%s tenant=%s user=%s duration_ms=%.1f", g.get("request_id", "-"),
             request.method, _path(), response.status_code, _loaded(g.get("tenant"), "slug"),
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
    secrets = SecretPaths(app)
    # saas.mail logs the messages it keeps when no MAIL_SERVER is set: their links carry tokens.
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "saas.mail"):
        logger = logging.getLogger(name)
        logger.filters = [f for f in logger.filters if not isinstance(f, SecretPaths)]
        logger.addFilter(secrets)
    app.before_request(_start)
    app.after_request(_finish)
