"""Friendly error pages (both languages); JSON for API paths; a reference id, never a traceback."""

from __future__ import annotations

import logging

from flask import g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger("saas.errors")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _http_error(exc: HTTPException):
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


def init_app(app):
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
