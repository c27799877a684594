"""The year's dates a base works to under its set of standards (TJ-6, CQ-3, CQ-4; none
stated in Wuhan or Xicheng), and which one is due next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tenants.schemes.standards import ALL, Standard


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


def milestones(year: int, standard: Standard = ALL) -> list[Milestone]:
    return sorted((Milestone(*d.days(year), str(d.title), d.source) for d in standard.dates),
                  key=lambda m: (m.end, m.start))


def next_due(items: list[Milestone], today: date) -> Milestone | None:
    return next((m for m in items if m.end >= today), None)
