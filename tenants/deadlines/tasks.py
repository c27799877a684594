"""Reminders: every night, an in-app notification and an e-mail for each deadline 7 days and
1 day ahead (one each: the run is keyed by date, and a deadline is due on one date); before
them, recognitions whose term passed without a renewal lapse."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, gettext as _

from saas.auth.models import User
from saas.extensions import db
from saas.jobs.schedule import schedule_daily
from saas.notifications import notify

from .service import for_user

NIGHTLY_AT = time(6, 30)
AHEAD = (7, 1)


def send_reminders(today: date | None = None) -> int:
    today = today or date.today()
    targets = {today + timedelta(days=n) for n in AHEAD}
    sent = 0
    for user in db.session.scalars(sa.select(User).where(User.active.is_(True))).all():
        with force_locale(user.locale or "zh_CN"):
            due = [d for d in for_user(user, min(targets), max(targets)) if d.day in targets]
            for d in due:
                notify([user], _("Due %(date)s: %(title)s", date=d.day.isoformat(), title=d.title), d.url,
                       kind="deadline")
                sent += 1
    db.session.commit()
    return sent


def nightly():
    from saas.jobs.task import _app_context

    with _app_context():
        from flask import current_app

        with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
            from tenants.applications.flow import lapse_overdue

            lapse_overdue()  # first: a recognition whose term passed is no longer due for re-review
            send_reminders()
        from saas.mail import sweep

        sweep()  # mail whose job was lost (Redis down at the commit) is queued again
        schedule_nightly()


def schedule_nightly(now: datetime | None = None) -> str:
    return schedule_daily(nightly, NIGHTLY_AT, "reminders", now)
