"""member_training_year (tenants/training/summary.py): each member's training of a calendar year,
kept in the same transaction as the attendance, names and events it sums. After every kind of
write the kept rows equal a computation from scratch; the figures read through them equal the
figures computed from the attendance itself."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.members.models import Enterprise
from tenants.training import coverage, summary
from tenants.training.coverage import Period, by_month, figures, member_rows
from tenants.training.models import Attendance, MemberTrainingYear, TrainingEvent

from .factories import credit_code_for
from .test_training import add_event

Y = 2024


@pytest.fixture
def base(make):
    tenant = make.tenant(slug="sum", name="汇总园区")
    other = make.tenant(slug="sum-other", name="另一园区")
    with tenant_scope(tenant.id):
        members = [Enterprise(name=f"会员{i}", credit_code=credit_code_for(70_000 + i), employees=10,
                              joined_on=date(Y - 2, 1, 1), status="liaison") for i in range(4)]
        db.session.add_all(members)
        db.session.commit()
        ids = [m.id for m in members]
    with tenant_scope(other.id):
        stranger = Enterprise(name="外园会员", credit_code=credit_code_for(79_999), employees=5,
                              joined_on=date(Y - 2, 1, 1), status="liaison")
        db.session.add(stranger)
        db.session.commit()
        stranger_id = stranger.id
    return tenant.id, ids, other.id, stranger_id


def kept(tenant_id) -> set[tuple]:
    db.session.rollback()
    with tenant_scope(tenant_id):
        return {tuple(r) for r in db.session.execute(sa.select(
            MemberTrainingYear.enterprise_id, MemberTrainingYear.year, MemberTrainingYear.events,
            MemberTrainingYear.largest, MemberTrainingYear.named, MemberTrainingYear.by_others,
            MemberTrainingYear.first_on))}


def same_as_from_scratch(tenant_id) -> None:
    db.session.rollback()
    assert summary.differences(tenant_id) == []


def test_every_kind_of_write_keeps_the_rows_equal_to_a_computation_from_scratch(app, base):
    t, (a, b, c, d), other, stranger = base
    first = add_event(t, date(Y, 3, 10), {a: 5, b: 2}, key_staff={a: "张三、李四"})
    add_event(t, date(Y, 6, 1), {a: 8, c: 1})
    add_event(t, date(Y - 1, 9, 1), {b: 3})
    add_event(other, date(Y, 3, 10), {stranger: 4})
    assert kept(t) == {(a, Y, 2, 8, 2, 1, date(Y, 3, 10)), (b, Y, 1, 2, 0, 1, date(Y, 3, 10)),
                       (c, Y, 1, 1, 0, 1, date(Y, 6, 1)), (b, Y - 1, 1, 3, 0, 1, date(Y - 1, 9, 1))}
    same_as_from_scratch(t)
    same_as_from_scratch(other)

    with tenant_scope(t):  # a headcount, names, a new attendance, one removed
        event = db.session.get(TrainingEvent, first)
        rows = {r.enterprise_id: r for r in event.attendance}
        rows[a].headcount = 12
        rows[a].key_staff = "张三、王五、赵六"
        event.attendance.remove(rows[b])
        event.attendance.append(Attendance(enterprise_id=d, headcount=2, key_staff="钱七"))
        db.session.commit()
    same_as_from_scratch(t)
    assert (b, Y, 1, 2, 0, 1, date(Y, 3, 10)) not in kept(t)

    with tenant_scope(t):  # the event moved to last year, then given by an enterprise itself
        event = db.session.get(TrainingEvent, first)
        event.held_on = date(Y - 1, 12, 30)
        db.session.commit()
    same_as_from_scratch(t)
    assert {r[1] for r in kept(t) if r[0] == d} == {Y - 1}
    with tenant_scope(t):
        event = db.session.get(TrainingEvent, first)
        event.organiser, event.organiser_enterprise_id = "enterprise", a
        db.session.commit()
    same_as_from_scratch(t)

    with tenant_scope(t):  # an event deleted (its attendance by cascade), a member deleted
        db.session.delete(db.session.get(TrainingEvent, first))
        db.session.commit()
    same_as_from_scratch(t)
    with tenant_scope(t):
        db.session.delete(db.session.get(Enterprise, c))
        db.session.commit()
    same_as_from_scratch(t)
    assert not any(r[0] == c for r in kept(t))

    with tenant_scope(t):  # a bulk statement the session sees no rows of
        event_id = db.session.scalar(sa.select(TrainingEvent.id).where(TrainingEvent.held_on == date(Y, 6, 1)))
        db.session.execute(sa.insert(Attendance), [{"tenant_id": t, "event_id": event_id, "enterprise_id": d,
                                                    "headcount": 6, "key_staff": ""}])
        db.session.commit()
    same_as_from_scratch(t)
    assert (d, Y, 1, 6, 0, 1, date(Y, 6, 1)) in kept(t)

    before = kept(t)  # a transaction rolled back leaves them as they were
    with tenant_scope(t):
        db.session.get(TrainingEvent, event_id).held_on = date(Y - 3, 1, 1)
        db.session.flush()
        db.session.rollback()
    assert kept(t) == before
    same_as_from_scratch(other)  # the other tenant was never touched


def test_the_year_read_through_the_rows_is_the_year_computed_from_the_attendance(app, base, monkeypatch):
    t, (a, b, c, d), _other, _stranger = base
    add_event(t, date(Y, 2, 1), {a: 10, b: 3}, key_staff={a: "甲、乙、丙"})
    add_event(t, date(Y, 5, 1), {a: 4, c: 10}, organiser="enterprise", organiser_enterprise_id=c)
    add_event(t, date(Y, 11, 1), {b: 1})
    period = Period.year(Y)

    def read():
        db.session.rollback()
        with tenant_scope(t):
            rows = [tuple(r) for r in db.session.execute(member_rows(period))]
            fig = figures(period)
            months = by_month(Y, date(Y + 1, 1, 1))
            return rows, (fig.active, fig.trained, fig.all_staff), months

    through_rows = read()
    assert through_rows[1] == (4, 3, 2)  # a: 10 of 10 at one session; c: 10 of 10 at its own training
    monkeypatch.setattr(coverage, "year_of", lambda _period: None)  # every period computed live
    coverage.member_rows.cache_clear()  # statements are built once per arguments
    coverage.listed_rows.cache_clear()
    live_rows, live_counts, _months = read()
    assert (live_rows, live_counts) == through_rows[:2]
    coverage.member_rows.cache_clear()
    assert [m for m in through_rows[2] if m[0] in (1, 2, 5, 11)] == [(1, 4, 0), (2, 4, 2), (5, 4, 3), (11, 4, 3)]


def test_the_command_finds_rows_loaded_around_the_application_and_recomputes_them(app, base):
    t, (a, b, _c, _d), _other, _stranger = base
    add_event(t, date(Y, 4, 1), {a: 3, b: 2})
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["tenants", "training-summary", "--check"])
    assert checked.exit_code == 0 and "all tenants agree" in checked.output
    with tenant_scope(t):  # rows written past the session (as a COPY would): the kept rows are stale
        db.session.connection().execute(sa.update(Attendance.__table__).where(Attendance.enterprise_id == a)
                                        .values(headcount=9))
        db.session.commit()
    stale = runner.invoke(args=["tenants", "training-summary", "--check"])
    assert stale.exit_code == 1 and "sum: 2 rows differ" in stale.output
    assert runner.invoke(args=["tenants", "training-summary"]).exit_code == 0
    same_as_from_scratch(t)
    assert (a, Y, 1, 9, 0, 1, date(Y, 4, 1)) in kept(t)
