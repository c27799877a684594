"""Friendly error pages (both languages); JSON for API paths; a reference id, never a traceback."""

from __future__ import annotations

import logging

from flask import Response, current_app, g, jsonify, render_template, request
from flask_babel import force_locale
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from .extensions import db
from .templating import locale_code

log = logging.getLogger("saas.errors")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _http_error(exc: HTTPException):
    if isinstance(exc, SecurityError):
        # An untrusted Host header (TRUSTED_HOSTS): no URL can be built for this request, so
        # no page that links anywhere; a plain answer in both languages.
        return Response("400 错误的请求 / Bad Request\n", status=400, mimetype="text/plain")
    if _wants_json():
        from .api.errors import response

        out, status = response(exc.code or 500)
        for header in ("Retry-After",) if exc.code == 429 else ():
            retry = (exc.get_headers() and dict(exc.get_headers()).get(header))
            if retry:
                out.headers[header] = retry
        return out, status
    template = f"errors/{exc.code}.html" if exc.code in (400, 403, 404, 413, 429) else "errors/generic.html"
    return render_template(template, error=exc), exc.code


def _server_error(exc: Exception):
    ref = g.get("request_id", "-")
    log.exception("unhandled error ref=%s path=%s", ref, request.path)
    # The failed transaction must not break the error page too.
    db.session.rollback()
    if _wants_json():
        return jsonify({"error": {"code": "internal_error", "message": f"ref {ref}", "fields": {}}}), 500
    return render_template("errors/500.html", ref=ref), 500


def _database_unavailable(exc: OperationalError):
    """The database restarting, unreachable, or (SQLite) locked past the busy timeout: the
    transaction did not commit, so say that nothing was saved and ask for a retry, not a 500.
    The page is rendered before the rollback, which would expire the user and the tenant that
    choosing the language reads."""
    log.warning("database unavailable ref=%s path=%s: %s", g.get("request_id", "-"), request.path, exc.orig)
    if g.get("_login_user") is None:
        # Loading the signed-in user is what failed: the page must not try again.
        g._login_user = current_app.login_manager.anonymous_user()
    try:
        language = locale_code()
    except Exception:  # noqa: BLE001  (whatever the choice needed is unavailable too)
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        if _wants_json():
            from .api.errors import response

            out, status = response(503)
        else:
            out, status = render_template("errors/503.html"), 503
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection is gone; the pool replaces it)
        db.session.remove()
    return out, status, {"Retry-After": "5"}


def init_app(app):
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _server_error)
