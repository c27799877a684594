"""JSON API v1 plumbing: bearer tokens, the tenant scope, permission checks (the same table as
the pages), per-token throttling, JSON errors, pagination. Resources live next to their feature
(`tenants/<feature>/api.py`) and call the same services as the pages."""

from __future__ import annotations

import json
import math
from datetime import datetime
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, current_app, g, request

from .. import xmltext
from ..auth.access import resolve_access
from ..extensions import csrf, db, limiter
from ..numbers import FiniteJSONProvider
from ..tenancy import Tenant, set_tenant, utcnow
from . import tokens
from .errors import ApiError, handle

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.register_error_handler(ApiError, handle)
MAX_PER_PAGE = 200


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def _limit_key() -> str:
    return "api:" + tokens.digest(_bearer() or request.remote_addr or "-")


def _limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def authenticate() -> tokens.ApiToken:
    token = tokens.find(_bearer()) if _bearer() else None
    if token is None or not token.usable or not token.user.active:
        raise ApiError(401)
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now  # at most one write a minute per token
        db.session.commit()
    return token


# One budget per token across the whole API (not per endpoint).
throttled = limiter.shared_limit(_limit, scope="api-v1", key_func=_limit_key)
MAX_ID = 2**31 - 1


def tenant_route(rule: str, action: str, methods=("GET",)):
    """An API endpoint under /tenants/<slug>: token → tenant scope → role → permission."""
    def decorator(view):
        @wraps(view)
        def wrapped(tenant_slug, **kwargs):
            token = authenticate()
            tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == tenant_slug))
            # A token works in its own tenant only; anything else is "not found".
            if tenant is None or tenant.id != token.tenant_id:
                raise ApiError(404)
            g._tenant_token = set_tenant(tenant.id)
            access = resolve_access(token.user, tenant)
            if access is None:
                raise ApiError(404)
            g.tenant, g.access, g.api_user = tenant, access, token.user
            if not access.can(action):
                raise ApiError(403)
            return view(**kwargs)

        wrapped.required_action = action
        limited = throttled(wrapped)
        bp.add_url_rule(f"/tenants/<tenant_slug>{rule}", view.__name__, limited, methods=list(methods))
        return limited

    return decorator


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _encodable(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value  # PostgreSQL text cannot hold NUL
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(v) for v in value)
    return True


def _json_int(text: str) -> int:
    """A JSON integer. One of more than 100 digits (Python will not even read 4,300) stands as
    ±10^100, beyond every bound, so that the field carrying it is refused by name like any other
    number out of range, not the whole body as unreadable."""
    if len(text) > 101:
        return -(10**100) if text.startswith("-") else 10**100
    return int(text)


def _infinite(value, path: str = ""):
    """(field, reason) of each number too large for a float: JSON's 1e999 reads as infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path or "body", "a finite number"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _infinite(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _infinite(item, f"{path}[{n}]")


def body() -> dict:
    """The JSON object sent, strictly: no NaN/Infinity, no unpaired surrogates (400 otherwise);
    a number too large for a float (1e999) is a 422 naming its field; other characters XML
    cannot carry are dropped from its strings."""
    if not request.is_json:
        raise ApiError(400, "send a JSON object (Content-Type: application/json)")
    try:
        data = json.loads(request.get_data(cache=True) or b"", parse_constant=_no_constant, parse_int=_json_int)
    except (ValueError, RecursionError):
        raise ApiError(400, "send a JSON object")
    if not isinstance(data, dict) or not _encodable(data):
        raise ApiError(400, "send a JSON object (UTF-8 text)")
    infinite = dict(_infinite(data))
    if infinite:
        raise ApiError(422, fields=infinite)
    return xmltext.clean(data)  # no control characters that would break the .xlsx/.docx exports


def integer(value, low: int = 0, high: int = MAX_ID) -> bool:
    """An int (not a bool) within the database's range."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def page_of(select, serialise) -> dict:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError:
        raise ApiError(400, "page and per_page are integers")
    if not 1 <= page <= 1_000_000 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(400, f"page >= 1 and 1 <= per_page <= {MAX_PER_PAGE}")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
    items = db.session.scalars(select.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": [serialise(i) for i in items], "page": page, "per_page": per_page, "total": total}


def iso(value):
    """ISO 8601; datetimes are stored in UTC and say so."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def init_app(app):
    """Register the API once every feature's api.py has added its routes (tenants.init_app)."""
    from . import jobs, routes  # noqa: F401  (jobs: its route registers on bp)

    app.config.setdefault("API_RATE_LIMIT", "600 per minute")
    app.json = FiniteJSONProvider(app)  # every JSON response of the app (API, job status, health)
    app.register_blueprint(bp)
    app.register_blueprint(routes.pages)
    app.cli.add_command(routes.tokens_cli)

