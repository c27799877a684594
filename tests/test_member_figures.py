"""A tenant's member figures of this year and the last, kept (tenants/metrics/member_figures.py):
after every kind of write the kept rows equal the member pass computed from scratch; the tenant
metrics read them beside the ledger (one statement) and compute a year without a row as before,
with the same figures."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.members.checklists import CORE_ITEMS, RULES_ITEM
from tenants.members.models import ChecklistItem, Enterprise, LiaisonPerson
from tenants.metrics import member_figures
from tenants.metrics.models import FIGURES, MemberFigures
from tenants.metrics.service import tenant_metrics
from tenants.recognition.models import Recognition
from tenants.training.coverage import Period
from tenants.training.models import Attendance

from .factories import credit_code_for
from .test_guidance_visits import add_visit
from .test_training import add_event

Y = date.today().year


@pytest.fixture
def base(make):
    tenant = make.tenant(slug="figs", name="数字园区")
    other = make.tenant(slug="figs-other", name="另一园区")
    ids = {}
    for t, n, start in ((tenant, 4, 70_000), (other, 1, 79_000)):
        with tenant_scope(t.id):
            members = [Enterprise(name=f"会员{start + i}", credit_code=credit_code_for(start + i), employees=10,
                                  joined_on=date(Y - 2, 1, 1), status="liaison") for i in range(n)]
            db.session.add_all(members)
            db.session.commit()
            ids[t.id] = [m.id for m in members]
    return tenant.id, ids[tenant.id], other.id


def kept(tenant_id) -> dict[int, dict]:
    db.session.rollback()
    with tenant_scope(tenant_id):
        return {r.year: {name: getattr(r, name) for name in FIGURES}
                for r in db.session.scalars(sa.select(MemberFigures))}


def agrees(tenant_id) -> dict:
    """The kept rows, after checking there is one for each kept year and each equals the member
    pass computed from scratch."""
    rows = kept(tenant_id)
    assert set(rows) == set(member_figures.kept_years())
    assert member_figures.differences(tenant_id) == []
    return rows[Y]


def test_every_kind_of_write_keeps_the_figures_equal_to_a_computation_from_scratch(app, base):
    t, (a, b, c, d), other, = base
    before_other = agrees(other)
    assert agrees(t)["active"] == 4 and agrees(t)["with_liaison"] == 0

    with tenant_scope(t):  # a liaison in office, one whose term ended last year
        db.session.add_all([LiaisonPerson(enterprise_id=a, name="联络员甲", started_on=date(Y - 1, 1, 1)),
                            LiaisonPerson(enterprise_id=b, name="联络员乙", started_on=date(Y - 1, 1, 1),
                                          ended_on=date(Y - 1, 6, 1))])
        db.session.commit()
    assert agrees(t)["with_liaison"] == 1 and kept(t)[Y - 1]["with_liaison"] == 1

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
    assert (kept(t)[Y - 1]["active"], kept(t)[Y - 1]["adopted"]) == (4, 0)  # dated: last year as it was

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
    t, (a, b, c, _d), _other = base
    with tenant_scope(t):
        db.session.add(LiaisonPerson(enterprise_id=a, name="联络员", started_on=date(Y - 1, 1, 1)))
        db.session.add(ChecklistItem(enterprise_id=b, code=RULES_ITEM, state="in_place"))
        db.session.commit()
    add_visit(t, c, date(Y, 5, 1))
    add_event(t, date(Y, 6, 1), {a: 2})
    statements = []

    def count(*_args):
        statements.append(1)

    def read(year):
        db.session.rollback()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with tenant_scope(t):
                return tenant_metrics(Period.year(year))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    through_row = read(Y)
    assert len(statements) == 1  # the ledger and the kept figures together
    assert (through_row["active_members"], through_row["members_with_liaison"], through_row["members_with_rules"],
            through_row["visits"], through_row["trained_enterprises"]) == (4, 1, 1, 1, 1)
    with tenant_scope(t):  # without the row the year is computed from the members, as before
        db.session.execute(sa.delete(MemberFigures))
        db.session.commit()
    computed = read(Y)
    assert len(statements) == 2 and computed == through_row
    # A year never kept: computed, its own figures (no member had joined yet).
    assert read(Y - 3)["active_members"] == 0 and len(statements) == 2


def test_the_command_finds_figures_written_around_the_application_and_recomputes_them(app, base):
    t, (a, _b, _c, _d), _other = base
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tenants", "training-summary", "--check"]).exit_code == 0
    with tenant_scope(t):  # written past the session (as a COPY would): the kept figures are stale
        db.session.connection().execute(sa.update(Enterprise.__table__).where(Enterprise.id == a)
                                        .values(status="withdrawn", withdrawn_on=date(Y - 2, 6, 1)))
        db.session.commit()
    stale = runner.invoke(args=["tenants", "training-summary", "--check"])
    assert stale.exit_code == 1 and "figs: 4 rows differ (tenants.metrics.member_figures)" in stale.output
    assert runner.invoke(args=["tenants", "training-summary"]).exit_code == 0
    assert agrees(t)["active"] == 3


def test_a_hook_registered_last_runs_after_the_others_whatever_the_order_of_registration(app, base, monkeypatch):
    """The member figures read the rows the other hooks keep (saas/tenant_cache.py at_bump)."""
    from saas import tenant_cache

    t, (a, *_rest), _other = base
    monkeypatch.setattr(tenant_cache, "_AT_BUMP", list(tenant_cache._AT_BUMP))
    monkeypatch.setattr(tenant_cache, "_AT_BUMP_LAST", list(tenant_cache._AT_BUMP_LAST))
    calls = []
    tenant_cache.at_bump(last=True)(lambda _session, written: calls.append(("last", written)))
    tenant_cache.at_bump(lambda _session, written: calls.append(("first", written)))
    with tenant_scope(t):
        db.session.get(Enterprise, a).employees = 99
        db.session.commit()
    assert calls == [("first", {t}), ("last", {t})]
