"""The platform: `create_app` builds the Flask application from short, named init steps.

Nothing here connects to a server or raises at import time; bad configuration raises
`ConfigError` from `create_app` with a one-line reason.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ConfigError, load_config, validate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or os.path.join(ROOT, "instance"),
                template_folder=os.path.join(ROOT, "templates"), static_folder="static")
    configure(app, config)
    configure_extensions(app)
    configure_database(app)
    configure_platform(app)
    configure_tenants(app)
    return app


MAX_ID = 2**31 - 1


def _ids_in_range():
    """An id in the URL beyond the database's integer is simply not there (404, not a crash)."""
    from flask import abort, request

    if any(isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
        abort(404)


def _no_nul_bytes():
    """NUL is never meaningful text and PostgreSQL refuses it: a bad request, not a crash."""
    from flask import abort, request

    form = request.form.values() if request.method in ("POST", "PUT", "PATCH") else ()
    if any("\x00" in v for v in (*form, *request.args.values())):
        abort(400)


def configure(app: Flask, overrides: dict | None) -> None:
    app.before_request(_ids_in_range)
    app.before_request(_no_nul_bytes)
    os.makedirs(app.instance_path, exist_ok=True)
    try:
        app.config.update(load_config(app.instance_path))
    except ValueError as exc:
        raise ConfigError(f"bad configuration value: {exc}") from exc
    app.config.update(overrides or {})
    validate(app.config)
    if not app.config.get("TRUSTED_HOSTS"):
        from .links import trusted_hosts

        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def configure_extensions(app: Flask) -> None:
    from . import i18n
    from .extensions import bootstrap, csrf, db, limiter, login_manager, migrate
    from .jobs.queues import redis_url

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    bootstrap.init_app(app)
    url = redis_url(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", url.replace("unix://", "redis+unix://", 1))
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on 429
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2})
    limiter.init_app(app)


def configure_database(app: Flask) -> None:
    from . import database

    database.init_app(app)


def configure_platform(app: Flask) -> None:
    from . import admin, auth, errors, health, jobs, logs, notifications, planner_statistics, security, templating
    from . import xmltext
    from .cli import register as register_cli

    logs.init_app(app)
    security.init_app(app)
    xmltext.init_app(app)  # posted text without the characters XML cannot carry
    errors.init_app(app)
    templating.init_app(app)
    auth.init_app(app)
    jobs.init_app(app)
    planner_statistics.init_app(app)
    from . import retention

    retention.init_app(app)
    admin.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(notifications.bp)
    register_cli(app)


def configure_tenants(app: Flask) -> None:
    from tenants import init_app as init_tenants

    init_tenants(app)


__all__ = ["create_app", "ConfigError"]
