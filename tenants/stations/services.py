"""Stations, their staff, and the service ledger: rules and the aggregates the pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask_babel import gettext as _

from saas.extensions import db
from saas.numbers import db_id
from tenants.members.models import Enterprise

from .models import CATEGORIES, CASE_STATUSES, ServiceLog, Station


class StationError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def stations(active_only: bool = False) -> list[Station]:
    select = sa.select(Station).order_by(Station.name)
    if active_only:
        select = select.where(Station.active.is_(True))
    return list(db.session.scalars(select))


def station_or_404(station_id: int) -> Station:
    return db.get_or_404(Station, station_id)


def log_or_404(log_id: int) -> ServiceLog:
    return db.get_or_404(ServiceLog, log_id)


def apply_entry(entry: ServiceLog, data: dict) -> ServiceLog:
    """Validate and set a ledger entry; complaint rules: a case status, kept short."""
    if data["category"] not in CATEGORIES:
        raise StationError(_("Unknown category."), "category")
    if db.session.get(Station, data["station_id"]) is None:
        raise StationError(_("Choose a station."), "station_id")
    enterprise_id = data.get("enterprise_id") or None
    if enterprise_id is not None and db.session.get(Enterprise, enterprise_id) is None:
        raise StationError(_("Unknown member enterprise."), "enterprise_id")
    if enterprise_id is None and not (data.get("non_member") or "").strip():
        raise StationError(_("Name the member enterprise or the non-member served."), "enterprise_id")
    if data.get("follow_up") == "open" and not data.get("follow_up_due"):
        raise StationError(_("An open follow-up needs a due date."), "follow_up_due")
    entry.served_on, entry.station_id, entry.category = data["served_on"], data["station_id"], data["category"]
    entry.enterprise_id = enterprise_id
    entry.non_member = "" if enterprise_id else data["non_member"].strip()
    entry.handled_by, entry.summary, entry.outcome = data.get("handled_by") or "", data.get("summary") or "", \
        data.get("outcome") or ""
    entry.follow_up_due, entry.follow_up = data.get("follow_up_due"), data.get("follow_up") or "done"
    if entry.category == "complaint":
        status = data.get("case_status") or "received"
        if status not in CASE_STATUSES:
            raise StationError(_("Unknown case status."), "case_status")
        entry.case_status = status
    else:
        entry.case_status = None
    db.session.add(entry)
    return entry


@dataclass
class LogFilter:
    start: date | None = None
    end: date | None = None
    category: str = ""
    station_id: int | None = None
    enterprise_id: int | None = None
    open_only: bool = False

    @classmethod
    def from_args(cls, args) -> LogFilter:
        def day(key):
            try:
                return date.fromisoformat(args.get(key, ""))
            except ValueError:
                return None

        category = args.get("category", "")
        return cls(start=day("from"), end=day("to"), category=category if category in CATEGORIES else "",
                   station_id=args.get("station", type=db_id), enterprise_id=args.get("enterprise", type=db_id),
                   open_only=args.get("open") == "1")

    def args(self) -> dict:
        out = {"from": self.start and self.start.isoformat(), "to": self.end and self.end.isoformat(),
               "category": self.category, "station": self.station_id, "enterprise": self.enterprise_id,
               "open": "1" if self.open_only else None}
        return {k: v for k, v in out.items() if v}

    def apply(self, select):
        if self.start:
            select = select.where(ServiceLog.served_on >= self.start)
        if self.end:
            select = select.where(ServiceLog.served_on <= self.end)
        if self.category:
            select = select.where(ServiceLog.category == self.category)
        if self.station_id:
            select = select.where(ServiceLog.station_id == self.station_id)
        if self.enterprise_id:
            select = select.where(ServiceLog.enterprise_id == self.enterprise_id)
        if self.open_only:
            select = select.where(ServiceLog.follow_up == "open")
        return select


def log_select(f: LogFilter):
    return f.apply(sa.select(ServiceLog).options(joinedload(ServiceLog.station), joinedload(ServiceLog.enterprise))
                   .order_by(ServiceLog.served_on.desc(), ServiceLog.id.desc()))


def monthly_counts(year: int) -> dict[int, dict[str, int]]:
    """month → category → entries, for one calendar year, in one grouped query."""
    month = sa.extract("month", ServiceLog.served_on)
    rows = db.session.execute(
        sa.select(month, ServiceLog.category, sa.func.count(ServiceLog.id))
        .where(ServiceLog.served_on >= date(year, 1, 1), ServiceLog.served_on < date(year + 1, 1, 1))
        .group_by(month, ServiceLog.category))
    out = {m: {c: 0 for c in CATEGORIES} for m in range(1, 13)}
    for m, category, n in rows:
        out[int(m)][category] = n
    return out


def overdue_count(today: date) -> int:
    """Overdue follow-ups, ledger entries and visits: the figure the dashboard shows (followups.py)."""
    from .followups import overdue_total

    return overdue_total(today)
