"""Training coverage figures (WH-1, WH-2, CQ-1, XC-3), computed in SQL, never typed in.

Over the *active members* of a period — joined by its last day and not withdrawn on it:
- trained enterprises: distinct active members with at least one attendance in the period
  (twice trained counts once);
- ratio = trained / active (None when there are no members: "no members", never 0%);
- WH-2 is met with a ratio above 50 % or at least 30 trained enterprises;
- trained staff: the distinct people of a member trained in the period (below); all-staff
  trained when they reach its employee count (WH-1, CQ-1 bonus).

Distinct trained staff is what the records prove, never a sum of headcounts: the same 50
people at three sessions are 50, not 150. The people named over the period's attendance are
distinct people (names.py folds the spellings); a session's headcount is that many distinct
people too, but who they were is unknown — they may be the same as at every other session. So:
trained staff = the larger of the distinct names and the largest single session's headcount.
It is the least number of people the records allow (the unnamed of each session fit among the
others), so training everyone can be shown by naming them, or by one session of everyone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from saas.database import count_where
from saas.extensions import db
from saas.pagination import page_params
from tenants.members.models import Enterprise, LiaisonPerson
from tenants.members.queries import active_on
from tenants.metrics.models import MemberFigures

from .models import KINDS, Attendance, MemberTrainingYear, Trainee, TrainingEvent

WH2_RATIO = 0.5  # "more than 50 %"
WH2_COUNT = 30  # "or at least 30"
FILTERS = ("trained", "never", "allstaff", "allstaff_missing")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    def args(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def year_of(period: Period) -> int | None:
    """The calendar year `period` is, or None: a calendar year is read from member_training_year,
    any other range computed from the attendance."""
    year = period.start.year
    return year if (period.start, period.end) == (date(year, 1, 1), date(year, 12, 31)) else None


def active_clause(period: Period):
    return active_on(period.end)


def given_by_others():
    """SQL for an attendance joined to its event: training the base, a station, the bureau or a
    third party gave (an enterprise's own internal training is its own work: WH-2's "served and
    trained" does not count it), with someone there."""
    return sa.and_(TrainingEvent.organiser != "enterprise", Attendance.headcount > 0)


def per_member(period: Period, tenant_ids: list[int] | None = None, columns: tuple = ()):
    """Subquery: one row per active member with its distinct trained staff (and what it is made
    of: the distinct names, the largest session), the events attended in the period and whether
    one of them was given by others (by_others: 1 or 0).
    `tenant_ids`: the members of those tenants (read across tenants, the bureau roll-up).
    `columns`: more Enterprise columns on each row (the tenant metrics' member pass)."""
    year = year_of(period)
    if year is not None:
        # A calendar year: each member's row kept in member_training_year (summary.py), the same
        # figures as the statements below over that year (tests compare them).
        kept = sa.select(MemberTrainingYear).where(MemberTrainingYear.year == year)
        if tenant_ids is not None:
            kept = kept.where(MemberTrainingYear.tenant_id.in_(tenant_ids))
        attended = named = kept.subquery()
    else:
        held = [TrainingEvent.held_on >= period.start, TrainingEvent.held_on <= period.end]
        if tenant_ids is not None:
            held.append(TrainingEvent.tenant_id.in_(tenant_ids))
        attended, named = training_by_member(held)
    largest, names = sa.func.coalesce(attended.c.largest, 0), sa.func.coalesce(named.c.named, 0)
    select = (sa.select(Enterprise.id, Enterprise.name, Enterprise.employees,
                        trained_staff(names, largest).label("trained_staff"),
                        names.label("named"), largest.label("largest"),
                        sa.func.coalesce(attended.c.events, 0).label("events"), Enterprise.tenant_id,
                        sa.func.coalesce(attended.c.by_others, 0).label("by_others"), *columns)
              .outerjoin(attended, attended.c.enterprise_id == Enterprise.id))
    if named is not attended:
        select = select.outerjoin(named, named.c.enterprise_id == Enterprise.id)
    select = select.where(active_clause(period))
    if tenant_ids is not None:
        select = select.where(Enterprise.tenant_id.in_(tenant_ids))
    return select.subquery()


def trained_staff(names, largest):
    """A member's distinct trained staff from its distinct names and its largest session (see the
    module's docstring): the larger of the two."""
    return sa.case((names > largest, names), else_=largest)


def training_by_member(held: list, by_year: bool = False):
    """(attended, named): grouped subqueries over the attendance `held` (conditions on Attendance
    and TrainingEvent) — per member, and with `by_year` per calendar year too (column `year`): the
    events, the largest session, whether one was given by others, the first day trained; the
    distinct names. The one definition of a member's training: the coverage figures of any period
    read it, and member_training_year keeps it per year (summary.py)."""
    year = sa.cast(sa.extract("year", TrainingEvent.held_on), sa.Integer)
    group = [Attendance.enterprise_id, year] if by_year else [Attendance.enterprise_id]
    columns = [Attendance.enterprise_id, year.label("year")] if by_year else [Attendance.enterprise_id]
    # One attendance row per event and member (unique): counting rows counts distinct events,
    # without the per-member sort a COUNT(DISTINCT) costs.
    attended = (sa.select(*columns, sa.func.max(Attendance.headcount).label("largest"),
                          sa.func.count(Attendance.id).label("events"),
                          sa.func.max(sa.case((given_by_others(), 1), else_=0)).label("by_others"),
                          sa.func.min(TrainingEvent.held_on).label("first_on"))
                .join(TrainingEvent, TrainingEvent.id == Attendance.event_id).where(*held)
                .group_by(*group).subquery())
    named = (sa.select(*columns, sa.func.count(sa.distinct(Trainee.name)).label("named"))
             .join(Trainee, sa.and_(Trainee.tenant_id == Attendance.tenant_id, Trainee.attendance_id == Attendance.id))
             .join(TrainingEvent, TrainingEvent.id == Attendance.event_id).where(*held)
             .group_by(*group).subquery())
    return attended, named


def all_staff(m):
    """A per_member row's "all staff trained" (none without an employee count): the one rule the
    coverage page, its export, the enterprise's own figures and the schemes' metrics read."""
    return sa.and_(m.c.employees > 0, m.c.trained_staff >= m.c.employees)


def is_trained(m):
    """A per_member row's "trained in the period": at least one attendance (twice counts once).
    The coverage figures and the bureau roll-up count this one rule."""
    return m.c.events > 0


@dataclass
class Figures:
    period: Period
    active: int
    trained: int
    all_staff: int
    events: int
    hours: float
    by_kind: dict[str, tuple[int, float]]

    @property
    def ratio(self) -> float | None:
        return self.trained / self.active if self.active else None

    @property
    def wh2_met(self) -> bool:
        return (self.ratio is not None and self.ratio > WH2_RATIO) or self.trained >= WH2_COUNT

    @property
    def publicity_events(self) -> int:
        return self.by_kind["publicity"][0]

    @property
    def never_trained(self) -> int:
        return self.active - self.trained

    @property
    def all_staff_missing(self) -> int:
        return self.active - self.all_staff


def _counts(m) -> list:
    """Active, trained and all-staff members over per_member rows `m`."""
    return [sa.func.count(m.c.id), count_where(is_trained(m)), count_where(all_staff(m))]


def figures(period: Period, counts: tuple[int, int, int] | None = None,
            by_kind: list[tuple[str, int, float]] | None = None) -> Figures:
    """Every coverage figure of a period in two aggregate queries; fewer when the caller has read
    the member counts (`counts`: a calendar year's are read off its groups, year_counts) or the
    events and hours by kind (`by_kind`: the tenant metrics read them with their ledger row)."""
    if counts is None:
        counts = db.session.execute(sa.select(*_counts(per_member(period)))).one()
    active, trained, everyone = (int(n or 0) for n in counts)
    rows = db.session.execute(_by_kind(period)).all() if by_kind is None else by_kind
    by_kind = {k: (0, 0.0) for k in KINDS}
    by_kind.update({k: (n, float(h)) for k, n, h in rows})
    return Figures(period, active, trained, everyone, sum(n for n, _h in by_kind.values()),
                   sum(h for _n, h in by_kind.values()), by_kind)


@functools.lru_cache(maxsize=64)
def _by_kind(period: Period):
    """Events and hours by kind: the statement, built once per period (statements hold no tenant;
    its scope is added when one runs)."""
    return (sa.select(TrainingEvent.kind, sa.func.count(TrainingEvent.id),
                      sa.func.coalesce(sa.func.sum(TrainingEvent.hours), 0))
            .where(TrainingEvent.held_on >= period.start, TrainingEvent.held_on <= period.end)
            .group_by(TrainingEvent.kind))


def listed(fig: Figures, show: str = "") -> int:
    """How many rows member_rows(period, show) lists: the figure they are behind."""
    return {"trained": fig.trained, "never": fig.never_trained, "allstaff": fig.all_staff,
            "allstaff_missing": fig.all_staff_missing}.get(show, fig.active)


@functools.lru_cache(maxsize=256)
def member_rows(period: Period, show: str = "", enterprise_id: int | None = None):
    """The rows behind a figure: active members with their trained staff and current liaison
    person, in list order (see listed_rows)."""
    return with_liaison(listed_rows(period, show, enterprise_id))


@functools.lru_cache(maxsize=256)
def listed_rows(period: Period, show: str = "", enterprise_id: int | None = None):
    """member_rows without the liaison person: what a page of them is cut from before
    `with_liaison` joins it (fifty lookups instead of one per member; a tenth of the statement).
    The figure they are behind gives their number (listed): no COUNT. Built once per arguments:
    building it cost a few milliseconds of a first view; statements hold no tenant (its scope is
    added when one runs)."""
    m = per_member(period)
    select = (sa.select(m.c.id, m.c.name, m.c.employees, m.c.trained_staff, m.c.named, m.c.largest, m.c.events,
                        all_staff(m).label("all_staff"))
              .order_by(*_list_order(m)))
    if show == "trained":
        select = select.where(m.c.events > 0)
    elif show == "never":
        select = select.where(m.c.events == 0)
    elif show == "allstaff":
        select = select.where(all_staff(m))
    elif show == "allstaff_missing":
        select = select.where(sa.not_(all_staff(m)))
    if enterprise_id is not None:
        select = select.where(m.c.id == enterprise_id)
    return select


def _list_order(rows) -> tuple:
    """The list's order, the same inside a page and outside it (the id breaks ties)."""
    return rows.c.events, rows.c.name, rows.c.id


@functools.lru_cache(maxsize=64)
def page_of_rows(period: Period, show: str = ""):
    """One page of listed_rows with the liaison persons: saas/pagination.py paginate_rows(paged=…)."""
    return with_liaison(page_params(listed_rows(period, show)))


def with_liaison(rows):
    """`rows` (listed_rows, or a page of them) with each member's current liaison person and mobile."""
    r = rows.subquery()
    liaison = sa.orm.aliased(LiaisonPerson)
    return (sa.select(*r.c, liaison.name.label("liaison"), liaison.mobile.label("mobile"))
            .outerjoin(liaison, sa.and_(liaison.enterprise_id == r.c.id, liaison.ended_on.is_(None)))
            .order_by(*_list_order(r)))


def monthly(year: int) -> list[tuple[int, str, int, float]]:
    """The year's training events by month and kind: (month, kind, events, hours), one grouped
    query. The events-per-month chart reads them, and a calendar year's figures their sums
    (by_kind_of)."""
    return [(int(mth), kind, n, float(hours or 0)) for mth, kind, n, hours in db.session.execute(_monthly(year))]


def by_kind_of(months: list[tuple[int, str, int, float]]) -> list[tuple[str, int, float]]:
    """The events and hours by kind (figures's `by_kind`) of the year whose months are `months`."""
    out: dict[str, list] = {}
    for _mth, kind, n, hours in months:
        total = out.setdefault(kind, [0, 0.0])
        total[0] += n
        total[1] += hours
    return [(kind, n, hours) for kind, (n, hours) in out.items()]


@functools.lru_cache(maxsize=16)
def _monthly(year: int):
    """monthly's statement, built once per year (see _by_kind)."""
    month = sa.extract("month", TrainingEvent.held_on)
    return (sa.select(month, TrainingEvent.kind, sa.func.count(TrainingEvent.id), sa.func.sum(TrainingEvent.hours))
            .where(TrainingEvent.held_on >= date(year, 1, 1), TrainingEvent.held_on <= date(year, 12, 31))
            .group_by(month, TrainingEvent.kind))


def year_groups(year: int) -> list[tuple[int, int, int, int, int]]:
    """The members of a calendar year counted by (month joined, month withdrawn, month first
    trained, all staff trained by the year's end: 1 or 0) — a few dozen groups, one statement:
    the months are 0 before the year and 13 after it (or never). A member is active at a month's
    end when it joined by then and had not withdrawn by then (joined ≤ m < withdrawn), trained
    when its first attendance of the year falls on or before it. The year's coverage figures
    (year_counts) and its months (by_month) are read off them."""
    kept = db.session.scalar(_KEPT_GROUPS, {"year": year})  # this year's (member_figures.py)
    return [tuple(g) for g in kept] if kept is not None else live_groups(year)


def live_groups(year: int) -> list[tuple[int, int, int, int, int]]:
    """year_groups computed from the members and their kept training rows."""
    return sorted((int(j), int(w), int(f), int(a), int(n)) for j, w, f, a, n in db.session.execute(_year_groups(year)))


def year_counts(groups: list[tuple[int, int, int, int, int]]) -> tuple[int, int, int]:
    """figures()'s member counts of the calendar year of `groups` (active, trained, all staff
    trained): the members active at the end of December. The same rule as per_member's over the
    year (tests compare them)."""
    active = [(f, a, n) for j, w, f, a, n in groups if j <= 12 < w]
    return (sum(n for _f, _a, n in active), sum(n for f, _a, n in active if f <= 12),
            sum(n for _f, a, n in active if a))


def by_month(year: int, today: date, groups: list | None = None) -> list[tuple[int, int, int]]:
    """(month, active, trained) at each month's end of `year` up to `today`, counted from 1 January:
    the same rule as `figures(Period(1 January, month end))`, read off the year's groups (given, or
    read: year_groups) — twelve conditional sums over every member cost more than the page."""
    import calendar

    ends = [date(year, mth, calendar.monthrange(year, mth)[1]) for mth in range(1, 13)]
    months = [end.month for end in ends if end.replace(day=1) <= today]
    if not months:
        return []
    groups = year_groups(year) if groups is None else groups
    out = []
    for m in months:
        active = [(f, n) for j, w, f, _a, n in groups if j <= m < w]
        out.append((m, sum(n for _f, n in active), sum(n for f, n in active if f <= m)))
    return out


_KEPT_GROUPS = sa.select(MemberFigures.groups).where(MemberFigures.year == sa.bindparam("year"))


@functools.lru_cache(maxsize=16)
def _year_groups(year: int):
    """year_groups's statement, built once per year."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    # Each member's year as member_training_year keeps it (summary.py): its first day trained,
    # and its trained staff as per_member counts them.
    kept = (sa.select(MemberTrainingYear.enterprise_id, MemberTrainingYear.first_on,
                      trained_staff(MemberTrainingYear.named, MemberTrainingYear.largest).label("trained_staff"))
            .where(MemberTrainingYear.year == year).subquery())

    def month_of(column, none: int):
        """The month of `column` in the year: 0 before it, 13 after it, `none` without a date."""
        return sa.case((column.is_(None), none), (column < start, 0), (column > end, 13),
                       else_=sa.cast(sa.extract("month", column), sa.Integer))

    m = (sa.select(Enterprise.id, Enterprise.employees,
                   month_of(Enterprise.joined_on, 0).label("joined"),
                   sa.case((Enterprise.status != "withdrawn", 13),
                           else_=month_of(Enterprise.withdrawn_on, 0)).label("withdrawn"),
                   month_of(kept.c.first_on, 13).label("trained"),
                   sa.func.coalesce(kept.c.trained_staff, 0).label("trained_staff"))
         .select_from(Enterprise).outerjoin(kept, kept.c.enterprise_id == Enterprise.id).subquery())
    everyone = sa.case((all_staff(m), 1), else_=0)
    return (sa.select(m.c.joined, m.c.withdrawn, m.c.trained, everyone, sa.func.count(m.c.id))
            .group_by(m.c.joined, m.c.withdrawn, m.c.trained, everyone))
