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

from saas.extensions import db
from saas.pagination import page_params
from tenants.members.models import Enterprise, LiaisonPerson
from tenants.members.queries import active_on

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
                        sa.case((names > largest, names), else_=largest).label("trained_staff"),
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


def _counts(m, over=None) -> list:
    """Active, trained and all-staff members over per_member rows `m`: aggregates, or with
    `over` (sa.over) the same sums as window functions beside each row."""
    counts = [sa.func.count(m.c.id), sa.func.sum(sa.case((is_trained(m), 1), else_=0)),
              sa.func.sum(sa.case((all_staff(m), 1), else_=0))]
    return [over(c) for c in counts] if over else counts


def figures(period: Period, counts: tuple[int, int, int] | None = None) -> Figures:
    """Every coverage figure of a period in two aggregate queries; one when the member counts
    come with the caller's rows (`counts`, see member_rows(totals=True))."""
    if counts is None:
        counts = db.session.execute(sa.select(*_counts(per_member(period)))).one()
    active, trained, everyone = (int(n or 0) for n in counts)
    rows = db.session.execute(_by_kind(period)).all()
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
def member_rows(period: Period, show: str = "", enterprise_id: int | None = None, totals: bool = False):
    """The rows behind a figure: active members with their trained staff and current liaison
    person, in list order (see listed_rows)."""
    return with_liaison(listed_rows(period, show, enterprise_id, totals))


@functools.lru_cache(maxsize=256)
def listed_rows(period: Period, show: str = "", enterprise_id: int | None = None, totals: bool = False):
    """member_rows without the liaison person: what a page of them is cut from before
    `with_liaison` joins it (fifty lookups instead of one per member; a tenth of the statement).
    `totals` (all members, no filter): each row also carries figures()'s member counts over all of
    them (columns active/trained/everyone, window sums), so a page of rows and the figures take
    one pass over the members instead of two. Built once per arguments: building it cost a few
    milliseconds of a first view; statements hold no tenant (its scope is added when one runs)."""
    m = per_member(period)
    extra = []
    if totals:  # counted over the members themselves, before the page's LIMIT
        assert not show and enterprise_id is None, "the counts are over all active members"
        m = sa.select(m, *[c.label(n) for c, n in zip(_counts(m, lambda c: c.over()),
                                                     ("active", "trained", "everyone"))]).subquery()
        extra = [m.c.active, m.c.trained, m.c.everyone]
    select = (sa.select(m.c.id, m.c.name, m.c.employees, m.c.trained_staff, m.c.named, m.c.largest, m.c.events,
                        all_staff(m).label("all_staff"), *extra)
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
def page_of_rows(period: Period, show: str = "", totals: bool = False):
    """One page of listed_rows with the liaison persons: saas/pagination.py paginate_rows(paged=…)."""
    return with_liaison(page_params(listed_rows(period, show, None, totals)))


def with_liaison(rows):
    """`rows` (listed_rows, or a page of them) with each member's current liaison person and mobile."""
    r = rows.subquery()
    liaison = sa.orm.aliased(LiaisonPerson)
    return (sa.select(*r.c, liaison.name.label("liaison"), liaison.mobile.label("mobile"))
            .outerjoin(liaison, sa.and_(liaison.enterprise_id == r.c.id, liaison.ended_on.is_(None)))
            .order_by(*_list_order(r)))


def monthly(year: int) -> dict[int, dict[str, int]]:
    """Events per month and kind, one grouped query."""
    out = {mth: {k: 0 for k in KINDS} for mth in range(1, 13)}
    for mth, kind, n in db.session.execute(_monthly(year)):
        out[int(mth)][kind] = n
    return out


@functools.lru_cache(maxsize=16)
def _monthly(year: int):
    """monthly's statement, built once per year (see _by_kind)."""
    month = sa.extract("month", TrainingEvent.held_on)
    return (sa.select(month, TrainingEvent.kind, sa.func.count(TrainingEvent.id))
            .where(TrainingEvent.held_on >= date(year, 1, 1), TrainingEvent.held_on <= date(year, 12, 31))
            .group_by(month, TrainingEvent.kind))


def by_month(year: int, today: date) -> list[tuple[int, int, int]]:
    """(month, active, trained) at each month's end of `year` up to `today`, counted from 1 January:
    the same rule as `figures(Period(1 January, month end))`. A member is active at a month's end
    when it joined by then and had not withdrawn by then, trained when its first attendance of
    the year falls on or before it. SQL counts the members by (month joined, month withdrawn,
    month first trained) — a few dozen groups — and the twelve months are read off those counts
    (one statement; twelve conditional sums over every member cost more than the page)."""
    import calendar

    ends = [date(year, mth, calendar.monthrange(year, mth)[1]) for mth in range(1, 13)]
    months = [end.month for end in ends if end.replace(day=1) <= today]
    if not months:
        return []
    groups = db.session.execute(_month_groups(year)).all()
    out = []
    for m in months:
        active = [(int(f), n) for j, w, f, n in groups if int(j) <= m < int(w)]
        out.append((m, sum(n for _f, n in active), sum(n for f, n in active if f <= m)))
    return out


@functools.lru_cache(maxsize=16)
def _month_groups(year: int):
    """by_month's statement, built once per year."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    # Each member's first day trained in the year, as member_training_year keeps it (summary.py).
    first = (sa.select(MemberTrainingYear.enterprise_id, MemberTrainingYear.first_on.label("first"))
             .where(MemberTrainingYear.year == year).subquery())

    def month_of(column, none: int):
        """The month of `column` in the year: 0 before it, 13 after it, `none` without a date."""
        return sa.case((column.is_(None), none), (column < start, 0), (column > end, 13),
                       else_=sa.cast(sa.extract("month", column), sa.Integer))

    joined = month_of(Enterprise.joined_on, 0)
    left = sa.case((Enterprise.status != "withdrawn", 13), else_=month_of(Enterprise.withdrawn_on, 0))
    trained = month_of(first.c.first, 13)
    return (sa.select(joined, left, trained, sa.func.count(Enterprise.id))
            .select_from(Enterprise).outerjoin(first, first.c.enterprise_id == Enterprise.id)
            .group_by(joined, left, trained))
