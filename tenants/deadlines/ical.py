"""The deadlines as an iCalendar document, written with the `icalendar` library (escaping, line
folding, time zones): all-day deadlines are VALUE=DATE events; a deadline at a time of day is
in Asia/Shanghai, with its VTIMEZONE. Each event has a stable UID and alarms 7 days and 1 day
before, as the reminders by mail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Alarm, Calendar, Event

from .service import Deadline

TZID = "Asia/Shanghai"
ALARMS = (timedelta(days=7), timedelta(days=1))


def calendar(deadlines: list[Deadline], name: str, stamp: datetime | None = None) -> bytes:
    stamp = stamp or datetime.now(timezone.utc)
    domain = urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname or "localhost"
    cal = Calendar()
    cal.add("prodid", "-//tradesecret-bases//deadlines//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    zone = ZoneInfo(TZID)
    for d in deadlines:
        event = Event()
        event.add("uid", f"{d.uid}@{domain}")  # the same deadline keeps its UID in every download
        event.add("dtstamp", stamp)
        if d.at is None:
            event.add("dtstart", d.day)  # VALUE=DATE
            event.add("dtend", d.day + timedelta(days=1))
        else:
            begins = datetime.combine(d.day, d.at, tzinfo=zone)
            event.add("dtstart", begins)  # TZID=Asia/Shanghai
            event.add("dtend", begins + timedelta(minutes=30))
        event.add("summary", d.title)
        event.add("transp", "TRANSPARENT")
        if d.url:
            event.add("url", d.url)
            event.add("description", d.url)
        for before in ALARMS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", d.title)
            alarm.add("trigger", -before)
            event.add_component(alarm)
        cal.add_component(event)
    cal.add_missing_timezones()  # the VTIMEZONE of Asia/Shanghai, only where a time uses it
    return cal.to_ical()
