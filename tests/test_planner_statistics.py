"""Planner statistics: `flask analyze` and the nightly job leave the database analysed."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from saas import planner_statistics
from saas.extensions import db
from saas.jobs import queues


def analysed(table: str) -> bool:
    """Whether the planner has statistics for `table` (read from the database's own catalogue)."""
    db.session.rollback()
    if db.engine.dialect.name == "sqlite":
        names = db.session.scalar(sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
        return bool(names) and bool(db.session.scalar(
            sa.text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}))
    # pg_stats hides tables under row-level security from roles it applies to: ask as the owner.
    from .conftest import owner_engine

    with owner_engine().connect() as conn:
        return bool(conn.scalar(sa.text("SELECT count(*) FROM pg_stats WHERE tablename = :t"), {"t": table}))


def clear_statistics() -> None:
    from .conftest import owner_engine

    with owner_engine().begin() as conn:
        if conn.dialect.name == "sqlite":
            if conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar():
                conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        else:
            # pg_statistic is the catalogue behind pg_stats; a superuser may clear it (the tests' owner is postgres).
            conn.exec_driver_sql("DELETE FROM pg_statistic WHERE starelid = 'enterprise'::regclass")


def test_analyze_command_gives_the_planner_statistics(app, make):
    park = make.tenant(slug="park")
    for n in range(3):
        make.enterprise(park)
    clear_statistics()
    assert not analysed("enterprise")
    result = app.test_cli_runner().invoke(args=["analyze"])
    assert result.exit_code == 0 and "statistics refreshed" in result.output
    assert analysed("enterprise")


def test_the_nightly_job_refreshes_and_queues_the_next_night(app, make):
    park = make.tenant(slug="park")
    make.enterprise(park)
    clear_statistics()
    planner_statistics.nightly()
    assert analysed("enterprise")
    queued = queues.queue("default").scheduled_job_registry.get_job_ids()
    assert any(job_id.startswith("statistics-") and job_id >= f"statistics-{date.today():%Y%m%d}" for job_id in queued)
