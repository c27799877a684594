"""The year's dates a base works to (TJ-6, CQ-3, CQ-4), and which one is due next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Milestone:
    start: date
    end: date
    title: str
    source: str

    def state(self, today: date) -> str:
        if today > self.end:
            return "past"
        return "now" if today >= self.start else "future"


def milestones(year: int) -> list[Milestone]:
    return sorted([
        Milestone(date(year, 1, 1), date(year, 4, 30), str(_l("Acceptance of last year's bases, with the work report")), "TJ-6"),
        Milestone(date(year, 5, 1), date(year, 6, 15), str(_l("Application window (May to mid-June)")), "TJ-6"),
        Milestone(date(year, 6, 10), date(year, 6, 10), str(_l("Application deadline in Chongqing")), "CQ-3"),
        Milestone(date(year, 6, 15), date(year, 6, 15), str(_l("Half-year progress report")), "CQ-4"),
        Milestone(date(year, 7, 1), date(year, 12, 31), str(_l("Guidance period")), "TJ-6"),
        Milestone(date(year, 12, 15), date(year, 12, 15), str(_l("Year-end progress report")), "CQ-4"),
    ], key=lambda m: (m.end, m.start))


def next_due(items: list[Milestone], today: date) -> Milestone | None:
    return next((m for m in items if m.end >= today), None)
