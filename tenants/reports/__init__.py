"""Periodic reports of a base to its bureau (TJ-6 work report, CQ-4 half-year and year-end
progress reports, XC-2 annual summary)."""

from . import views  # noqa: F401  (routes register on the blueprint)
from .views import bp  # noqa: F401


def init_app(app):
    from .tasks import schedule_nightly

    app.extensions.setdefault("worker_schedules", []).append(schedule_nightly)
