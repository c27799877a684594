"""The query planner's statistics, refreshed every night and by `flask analyze`.

SQLite keeps none unless told to ANALYZE, and without them it guesses join orders: the training
coverage aggregate then walks every attendance row of the tenant from the enterprise index
instead of the period's events (about 2.5× slower at 2,000 members, and it grows with the years
of history). PostgreSQL's autovacuum keeps its own; one more pass a night is cheap.
"""

from __future__ import annotations

from datetime import datetime, time

import click

from .jobs.schedule import schedule_daily

NIGHTLY_AT = time(3, 30)
# Rows SQLite samples per index: approximate statistics in bounded time on any size of database.
SQLITE_ANALYSIS_LIMIT = 1000


def refresh() -> None:
    from .database import owner_engine

    with owner_engine().begin() as conn:  # ANALYZE is the tables' owner's (saas/rls.py)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")


@click.command("analyze")
def analyze_command():
    """Refresh the database's query planner statistics (also done every night by the worker)."""
    refresh()
    click.echo("statistics refreshed")


def nightly():
    """RQ job: refresh, then the same job again tomorrow night."""
    from .jobs.task import _app_context

    with _app_context():
        refresh()
        schedule_nightly()


def schedule_nightly(now: datetime | None = None) -> str:
    return schedule_daily(nightly, NIGHTLY_AT, "statistics", now)


def init_app(app) -> None:
    app.cli.add_command(analyze_command)
    app.extensions.setdefault("worker_schedules", []).append(schedule_nightly)
