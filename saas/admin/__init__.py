"""Platform administration: tenants, bureaus, users, sent mail."""


def init_app(app):
    from .. import tenant_lifecycle
    from . import lifecycle_views  # noqa: F401  (its routes, on the same blueprint)
    from .views import bp

    app.register_blueprint(bp)
    # Tenants suspended for 30 days are purged by the worker's nightly run.
    app.extensions.setdefault("worker_schedules", []).append(tenant_lifecycle.schedule)
