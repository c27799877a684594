"""JSON errors of the API: {"error": {"code", "message", "fields"}}; never a 500 for bad input."""

from __future__ import annotations

from flask import jsonify

MESSAGES = {400: "bad request", 401: "missing or invalid token", 403: "your role may not do this",
            404: "not found", 405: "method not allowed", 409: "conflict", 413: "request too large",
            422: "validation failed", 429: "too many requests",
            503: "the database is briefly unavailable; nothing was saved, try again"}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 422: "invalid", 429: "throttled", 503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, message: str | None = None, fields: dict | None = None, **extra):
        super().__init__(message or MESSAGES.get(status, "error"))
        self.status, self.message, self.fields, self.extra = status, message or MESSAGES.get(status, "error"), \
            fields or {}, extra


def response(status: int, message: str | None = None, fields: dict | None = None, **extra):
    body = {"error": {"code": CODES.get(status, "error"), "message": message or MESSAGES.get(status, "error"),
                      "fields": fields or {}, **extra}}
    return jsonify(body), status


def handle(exc: ApiError):
    return response(exc.status, exc.message, exc.fields, **exc.extra)
