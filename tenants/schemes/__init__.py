"""Assessment schemes as data, readiness scores against live metrics, manual declarations."""

from saas.config import ConfigError

from . import views  # noqa: F401  (routes register on the blueprint)
from .blueprint import bp  # noqa: F401
from .loader import SchemeError, load_all


def init_app(app):
    """Load and validate every scheme file at start-up: a bad file stops the app, in one line."""
    try:
        app.extensions["schemes"] = load_all()
    except SchemeError as exc:
        raise ConfigError(f"scheme file: {exc}") from exc
    from tenants.metrics import labels

    from .tasks import readiness_cli, schedule_nightly

    labels.init_app(app)

    app.cli.add_command(readiness_cli)
    app.extensions.setdefault("worker_schedules", []).append(schedule_nightly)
