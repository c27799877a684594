"""What every template may use: permission checks, the current tenant, the language menu."""

from __future__ import annotations

from flask import g, render_template, request
from flask_babel import format_date, format_datetime, get_locale

from .auth.permissions import can
from .i18n import catalogue_code

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def locale_code() -> str:
    """The catalogue code in use ("zh_CN" or "en"); Babel itself says zh_Hans_CN."""
    return catalogue_code(get_locale())


def tenant_nav():
    """The tenant's menu: the same for everyone with the same role there, so rendered once."""
    from .tenant_cache import fragment

    access = g.access
    return fragment("tenant-nav", (access.role, access.enterprise_id),
                    lambda: render_template("_tenant_nav.html"))


def _context():
    return {
        "can": can,
        "current_tenant": g.get("tenant"),
        "current_access": g.get("access"),
        "tenant_nav": tenant_nav,
        "language_names": LANGUAGE_NAMES,
        "current_locale": locale_code(),
        "request_path": request.full_path.rstrip("?") if request else "/",
    }


def init_app(app):
    app.context_processor(_context)
    app.jinja_env.filters["date"] = lambda d: format_date(d, "medium") if d else ""
    app.jinja_env.filters["datetime"] = lambda d: format_datetime(d, "short") if d else ""
