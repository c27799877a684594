"""Deadlines, the iCalendar feed and the nightly reminders (TJ-6, CQ-3, CQ-4, XC-2)."""

import click
from flask.cli import with_appcontext

from .views import bp as home_bp  # noqa: F401


@click.command("reminders")
@with_appcontext
def reminders_command():
    """Send today's reminders (deadlines 7 days and 1 day ahead)."""
    from flask import current_app

    from .tasks import send_reminders

    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        click.echo(f"{send_reminders()} reminders sent")


def init_app(app):
    from .tasks import schedule_nightly

    app.cli.add_command(reminders_command)
    app.extensions.setdefault("worker_schedules", []).append(schedule_nightly)
