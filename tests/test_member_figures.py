"""A tenant's member figures of this year, kept (tenants/metrics/member_figures.py):
after every kind of write the kept rows equal the member pass computed from scratch; the tenant
metrics read them beside the ledger (one statement), training coverage reads its groups by month
from them, and a year without a row is computed as before, with the same figures."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import event

from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.members.checklists import CORE_ITEMS, RULES_ITEM
from tenants.members.models import ChecklistItem, Enterprise, LiaisonPerson
from tenants.metrics import member_figures
from tenants.metrics.models import FIGURES, MemberFigures
from tenants.metrics.service import tenant_metrics
from tenants.recognition.models import Recognition
from tenants.training import coverage
from tenants.training.coverage import Period
from tenants.training.models import Attendance

from .test_guidance_visits import add_visit
from .test_per_member_summaries import base  # noqa: F401  (the fixture: two tenants, four members and one)
from .test_training import add_event

Y = date.today().year


def kept(tenant_id) -> dict[int, dict]:
    db.session.rollback()
    with tenant_scope(tenant_id):
        return {r.year: {name: getattr(r, name) for name in FIGURES}
                for r in db.session.scalars(sa.select(MemberFigures))}


def agrees(tenant_id) -> dict:
    """This year's kept row, after checking it is the only one and equals the member pass
    computed from scratch."""
    rows = kept(tenant_id)
    assert set(rows) == set(member_figures.kept_years())
    assert member_figures.differences(tenant_id) == []
    return rows[Y]


def last_year(tenant_id) -> dict:
    """Last year's tenant metrics: not kept, computed."""
    db.session.rollback()
    with tenant_scope(tenant_id):
        return tenant_metrics(Period.year(Y - 1))


def counted(read) -> tuple[int, object]:
    """(SQL statements run, result) of `read()`."""
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = read()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements), result


def test_every_kind_of_write_keeps_the_figures_equal_to_a_computation_from_scratch(app, base):
    t, (a, b, c, d), other, _stranger = base
    before_other = agrees(other)
    assert agrees(t)["active"] == 4 and agrees(t)["with_liaison"] == 0

    with tenant_scope(t):  # a liaison in office, one whose term ended last year
        db.session.add_all([LiaisonPerson(enterprise_id=a, name="联络员甲", started_on=date(Y - 1, 1, 1)),
                            LiaisonPerson(enterprise_id=b, name="联络员乙", started_on=date(Y - 1, 1, 1),
                                          ended_on=date(Y - 1, 6, 1))])
        db.session.commit()
    assert agrees(t)["with_liaison"] == 1 and last_year(t)["members_with_liaison"] == 1

    with tenant_scope(t):  # a recognition, adoption of the standard, a member withdrawn this year
        db.session.add(Recognition(kind="enterprise", enterprise_id=a, source="recorded", certificate_no="F1",
                                   recognised_on=date(Y - 1, 3, 1)))
        member = db.session.get(Enterprise, b)
        member.adopted_standard, member.adopted_on = True, date(Y, 1, 2)
        withdrawn = db.session.get(Enterprise, d)
        withdrawn.status, withdrawn.withdrawn_on = "withdrawn", date(Y, 3, 1)
        db.session.commit()
    now = agrees(t)
    assert (now["active"], now["demonstration"], now["adopted"]) == (3, 1, 1)
    assert (last_year(t)["active_members"], last_year(t)["adopted_standard_members"]) == (4, 0)  # dated

    with tenant_scope(t):  # checklist items in place
        db.session.add_all([ChecklistItem(enterprise_id=a, code=code, state="in_place") for code in CORE_ITEMS] +
                           [ChecklistItem(enterprise_id=c, code=RULES_ITEM, state="in_place")])
        db.session.commit()
    now = agrees(t)
    assert (now["rules"], now["work"], now["five_three"]) == (2, 2, 1)  # the rules item is a core item

    add_visit(t, a, date(Y, 2, 1))  # visits and training: through the rows kept per member
    add_visit(t, a, date(Y, 9, 1))
    event_id = add_event(t, date(Y, 4, 1), {a: 3, c: 12})
    now = agrees(t)
    assert (now["visits"], now["lowest"], now["below"], now["trained"], now["by_others"], now["everyone"]) == \
        (2, 0, 2, 2, 2, 1)  # c: 12 trained of 10 employees
    with tenant_scope(t):  # an attendance changed; a bulk statement on the members
        attendance = db.session.scalar(sa.select(Attendance).where(Attendance.event_id == event_id,
                                                                    Attendance.enterprise_id == a))
        attendance.headcount = 10
        db.session.execute(sa.update(Enterprise).where(Enterprise.id == c).values(employees=5))
        db.session.commit()
    assert agrees(t)["everyone"] == 2
    with tenant_scope(t):  # a member deleted
        db.session.delete(db.session.get(Enterprise, c))
        db.session.commit()
    now = agrees(t)
    assert (now["active"], now["trained"], now["rules"]) == (2, 1, 1)
    assert agrees(other) == before_other  # another tenant's figures: untouched


def test_the_figures_read_through_the_row_are_those_computed_from_the_members(app, base):
    t, (a, b, c, _d), _other, _stranger = base
    with tenant_scope(t):
        db.session.add(LiaisonPerson(enterprise_id=a, name="联络员", started_on=date(Y - 1, 1, 1)))
        db.session.add(ChecklistItem(enterprise_id=b, code=RULES_ITEM, state="in_place"))
        db.session.commit()
    add_visit(t, c, date(Y, 5, 1))
    add_event(t, date(Y, 6, 1), {a: 2})
    def read(year):
        db.session.rollback()
        with tenant_scope(t):
            return counted(lambda: tenant_metrics(Period.year(year)))

    n, through_row = read(Y)
    assert n == 1  # the ledger and the kept figures together
    assert (through_row["active_members"], through_row["members_with_liaison"], through_row["members_with_rules"],
            through_row["visits"], through_row["trained_enterprises"]) == (4, 1, 1, 1, 1)
    with tenant_scope(t):  # training coverage's groups by month: kept, one small read
        n, groups = counted(lambda: coverage.year_groups(Y))
        assert n == 1 and groups == coverage.live_groups(Y)
        assert coverage.year_counts(groups) == (4, 1, 0) == (through_row["active_members"],
                                                             through_row["trained_enterprises"],
                                                             through_row["all_staff_trained_members"])
    with tenant_scope(t):  # the page reads the row: a row written past the keeper shows
        db.session.execute(sa.update(MemberFigures).where(MemberFigures.year == Y).values(groups=[[0, 13, 13, 0, 99]]))
        db.session.commit()
        assert coverage.year_groups(Y) == [(0, 13, 13, 0, 99)]
    assert member_figures.differences(t) != []
    with tenant_scope(t):  # without the row the year is computed from the members, as before
        db.session.execute(sa.delete(MemberFigures))
        db.session.commit()
    assert read(Y) == (2, through_row)
    with tenant_scope(t):
        assert coverage.year_groups(Y) == groups
    # A year never kept: computed, its own figures (no member had joined yet).
    n, before = read(Y - 3)
    assert n == 2 and before["active_members"] == 0


def test_the_command_finds_figures_written_around_the_application_and_recomputes_them(app, base):
    t, (a, _b, _c, _d), _other, _stranger = base
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tenants", "training-summary", "--check"]).exit_code == 0
    with tenant_scope(t):  # written past the session (as a COPY would): the kept figures are stale
        db.session.connection().execute(sa.update(Enterprise.__table__).where(Enterprise.id == a)
                                        .values(status="withdrawn", withdrawn_on=date(Y - 2, 6, 1)))
        db.session.commit()
    stale = runner.invoke(args=["tenants", "training-summary", "--check"])
    assert stale.exit_code == 1 and "chk: 2 rows differ (tenants.metrics.member_figures)" in stale.output
    version = db.session.get(Tenant, t).data_version
    assert runner.invoke(args=["tenants", "training-summary"]).exit_code == 0
    assert agrees(t)["active"] == 3
    db.session.expire_all()  # figures cached from the stale rows are left behind: a new version
    assert db.session.get(Tenant, t).data_version != version


def test_a_hook_registered_last_runs_after_the_others_whatever_the_order_of_registration(app, base, monkeypatch):
    """The member figures read the rows the other hooks keep (saas/tenant_cache.py at_bump)."""
    from saas import tenant_cache

    t, (a, *_rest), _other, _stranger = base
    monkeypatch.setattr(tenant_cache, "_AT_BUMP", list(tenant_cache._AT_BUMP))
    monkeypatch.setattr(tenant_cache, "_AT_BUMP_LAST", list(tenant_cache._AT_BUMP_LAST))
    calls = []
    tenant_cache.at_bump(last=True)(lambda _session, written: calls.append(("last", written)))
    tenant_cache.at_bump(lambda _session, written: calls.append(("first", written)))
    with tenant_scope(t):
        db.session.get(Enterprise, a).employees = 99
        db.session.commit()
    assert calls == [("first", {t}), ("last", {t})]


def test_when_the_year_turns_last_years_row_serves_until_the_tenants_next_write(app, base, monkeypatch):
    t, (a, *_rest), _other, _stranger = base
    monkeypatch.setattr(member_figures, "kept_years", lambda today=None: (Y - 1,))  # on 31 December last year
    with tenant_scope(t):
        db.session.get(Enterprise, a).employees = 50
        db.session.commit()
    assert set(kept(t)) == {Y - 1}
    monkeypatch.undo()
    db.session.rollback()
    with tenant_scope(t):  # the year ended still true, read from its row; the new one computed
        assert counted(lambda: tenant_metrics(Period.year(Y - 1)))[0] == 1
        assert counted(lambda: tenant_metrics(Period.year(Y)))[0] == 2
        db.session.get(Enterprise, a).employees = 60
        db.session.commit()
    assert set(kept(t)) == {Y} and member_figures.differences(t) == []
