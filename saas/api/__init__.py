"""JSON API v1 plumbing: bearer tokens, the tenant scope, permission checks (the same table as
the pages), per-token throttling, JSON errors, pagination. Resources live next to their feature
(`tenants/<feature>/api.py`) and call the same services as the pages."""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, current_app, g, request

from ..auth.access import resolve_access
from ..extensions import csrf, db, limiter
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
    token.last_used_at = utcnow()
    return token


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
        limited = limiter.limit(_limit, key_func=_limit_key)(wrapped)
        bp.add_url_rule(f"/tenants/<tenant_slug>{rule}", view.__name__, limited, methods=list(methods))
        return limited

    return decorator


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "send a JSON object")
    return data


def page_of(select, serialise) -> dict:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError:
        raise ApiError(400, "page and per_page are integers")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(400, f"page >= 1 and 1 <= per_page <= {MAX_PER_PAGE}")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
    items = db.session.scalars(select.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": [serialise(i) for i in items], "page": page, "per_page": per_page, "total": total}


def iso(value):
    return value.isoformat() if value is not None else None


def init_app(app):
    """Register the API once every feature's api.py has added its routes (tenants.init_app)."""
    from . import routes

    app.config.setdefault("API_RATE_LIMIT", "600 per minute")
    app.register_blueprint(bp)
    app.register_blueprint(routes.pages)
    app.cli.add_command(routes.tokens_cli)

