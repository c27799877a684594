"""Issue 19: people trained are counted as distinct people per enterprise per year, never as a sum
of headcounts over repeated sessions (WH-1 all-staff training, CQ-1 bonus "all employees trained").

Names come from the attendance grid, an enterprise user's own page of an event and the sign-in
sheet; they are folded (names.py) and stored as trainee rows. Distinct trained staff = the larger
of the distinct names of the year and its largest single session's headcount (coverage.py).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import TenantScoped, TenantScopeError, cross_tenant_reads, tenant_scope
from tenants.metrics.service import enterprise_metrics
from tenants.schemes.scoring import MET, NOT_MET
from tenants.schemes.service import per_enterprise
from tenants.training.coverage import Period
from tenants.training.models import Attendance, Trainee, TrainingEvent
from tenants.training.names import split

from .test_training import (HEADER, Y, add_event, attendance_of, enterprise_user, figures_of, grid, listed_members,
                            page_figures, park, reading, text, upload, xlsx)  # noqa: F401  (park: fixture)

PEOPLE = [f"员工{i:03d}" for i in range(1, 121)]


def trained_staff_on_page(response, name: str) -> int:
    """The 'Employees trained' cell of a member's row on the coverage page."""
    row = re.search(rf">{re.escape(name)}</a></td>.*?data-trained-staff=\"(\d+)\"", text(response), re.S)
    assert row, name
    return int(row.group(1))


def coverage(park, **query):
    return park.admin.get(f"{park.url}/coverage", query_string={"year": Y, **query})


def all_staff_of(park, enterprise_id) -> bool:
    with reading(park.id):
        return enterprise_metrics(Y)[enterprise_id]["all_staff_trained"]


def bonus_item(app, park, enterprise_id) -> str:
    """The status of CQ-1's bonus item "all employees trained" (b3) for one member."""
    with reading(park.id):
        results = dict(per_enterprise(app.extensions["schemes"]["cq-enterprise"], Y))
    item = next(r for g in results[enterprise_id].groups for r in g.items if r.item.code == "b3")
    return item.status


def trainees_of(tenant_id, event_id) -> set[str]:
    with reading(tenant_id) as s:
        return set(s.scalars(sa.select(Trainee.name).join(Attendance, Attendance.id == Trainee.attendance_id)
                             .where(Attendance.event_id == event_id)))


# --- the cases ---------------------------------------------------------------------------

def test_the_same_fifty_people_trained_three_times_are_fifty(app, park, make):
    eid = make.enterprise(park.tenant, name="五十人企业", employees=120)
    fifty = PEOPLE[:50]
    # The same people, typed three ways: 、 at the grid, full-width commas and digits, one a line
    # with the padding sign-in sheets put between characters.
    response = park.admin.post(f"{park.url}/new", data=grid(counts={eid: 50}, names={eid: "、".join(fifty)}))
    assert response.status_code == 302
    full_width = "，".join(n.translate(str.maketrans("0123456789", "０１２３４５６７８９")) for n in fifty)
    add_event(park.id, date(Y, 6, 1), {eid: 50}, key_staff={eid: full_width})
    add_event(park.id, date(Y, 9, 1), {eid: 50}, key_staff={eid: "\n".join(f" {n[0]} {n[1:]} " for n in fifty)})

    fig = figures_of(park.id, Period.year(Y))
    assert (fig.trained, fig.all_staff, fig.all_staff_missing) == (1, 0, 1)  # 150 attendances, 50 people
    assert trained_staff_on_page(coverage(park), "五十人企业") == 50
    assert page_figures(coverage(park))["allstaff"] == "0"
    assert listed_members(coverage(park, show="allstaff")) == []
    assert listed_members(coverage(park, show="allstaff_missing")) == ["五十人企业"]
    assert all_staff_of(park, eid) is False
    assert bonus_item(app, park, eid) == NOT_MET


def test_120_different_people_over_three_sessions_are_all_staff(app, park, make):
    eid = make.enterprise(park.tenant, name="全员企业", employees=120)
    for k, month in enumerate((3, 6, 9)):
        add_event(park.id, date(Y, month, 1), {eid: 40}, key_staff={eid: "、".join(PEOPLE[40 * k:40 * (k + 1)])})

    assert figures_of(park.id, Period.year(Y)).all_staff == 1
    assert trained_staff_on_page(coverage(park), "全员企业") == 120
    assert listed_members(coverage(park, show="allstaff")) == ["全员企业"]
    assert all_staff_of(park, eid) is True
    assert bonus_item(app, park, eid) == MET
    # The first two sessions alone: 80 people.
    assert figures_of(park.id, Period(date(Y, 1, 1), date(Y, 6, 30))).all_staff == 0


def test_headcount_only_sessions_prove_only_their_largest(park, make):
    eid = make.enterprise(park.tenant, name="只记人数企业", employees=120)
    for month in (3, 6, 9):
        add_event(park.id, date(Y, month, 1), {eid: 60})  # 180 attendances: maybe the same 60 people

    assert figures_of(park.id, Period.year(Y)).all_staff == 0
    assert trained_staff_on_page(coverage(park), "只记人数企业") == 60
    assert all_staff_of(park, eid) is False

    # One session of all 120 proves everyone was trained, named or not.
    add_event(park.id, date(Y, 11, 1), {eid: 120})
    assert figures_of(park.id, Period.year(Y)).all_staff == 1
    assert all_staff_of(park, eid) is True


@pytest.mark.parametrize("sessions, expected", [
    ([(60, PEOPLE[:30]), (60, PEOPLE[30:60])], 60),  # 60 named; each session's unnamed may be the others
    ([(60, PEOPLE[:30]), (60, PEOPLE[:30])], 60),  # the largest session: 60 people at least
    ([(40, PEOPLE[:40]), (40, PEOPLE[40:80]), (100, [])], 100),
    ([(40, PEOPLE[:40]), (40, PEOPLE[40:80]), (30, [])], 80),
])
def test_trained_staff_is_the_most_the_records_prove(park, make, sessions, expected):
    eid = make.enterprise(park.tenant, name="混合企业", employees=120)
    for k, (headcount, names) in enumerate(sessions):
        add_event(park.id, date(Y, k + 1, 1), {eid: headcount}, key_staff={eid: "、".join(names)})
    assert trained_staff_on_page(coverage(park), "混合企业") == expected


# --- where names come from -----------------------------------------------------------------------

def test_sign_in_sheet_names_are_stored_and_counted(park, make):
    eid = make.enterprise(park.tenant, name="签到企业", employees=4)
    first = add_event(park.id, date(Y, 3, 1))
    second = add_event(park.id, date(Y, 9, 1))
    sheet = xlsx([HEADER, ("签到企业", 3, "张三、李四，王  五")])
    assert upload(park.admin, f"{park.url}/{first}/sign-in", sheet, "签到表.xlsx").status_code == 302
    assert trainees_of(park.id, first) == {"张三", "李四", "王五"}
    assert attendance_of(park.id, first) == {eid: (3, "张三、李四，王  五")}

    sheet = xlsx([HEADER, ("签到企业", 2, "张三\n赵六")])  # 张三 again, 赵六 new
    assert upload(park.admin, f"{park.url}/{second}/sign-in", sheet, "签到表.xlsx").status_code == 302
    assert trained_staff_on_page(coverage(park), "签到企业") == 4
    assert listed_members(coverage(park, show="allstaff")) == ["签到企业"]

    # More names than people on the row: the row and column are named, nothing is written.
    sheet = xlsx([HEADER, ("签到企业", 1, "孙七、周八")])
    response = upload(park.admin, f"{park.url}/{second}/sign-in", sheet, "签到表.xlsx")
    assert response.status_code == 422
    assert re.search(r"<tr><td>2</td><td>C</td>", text(response))
    assert "2 different names, more than the 1 who attended." in text(response)
    assert trainees_of(park.id, second) == {"张三", "赵六"}


def test_grid_names_count_and_are_checked(park, make):
    eid = make.enterprise(park.tenant, name="网格企业", employees=10)
    # Names and no number: as many as attended as were named.
    response = park.admin.post(f"{park.url}/new", data=grid(names={eid: "张三, 李四\n王五"}, **{f"hc-{eid}": ""}))
    assert response.status_code == 302
    event = int(response.headers["Location"].rsplit("/", 1)[1])
    assert attendance_of(park.id, event) == {eid: (3, "张三, 李四\n王五")}
    assert trainees_of(park.id, event) == {"张三", "李四", "王五"}

    # Editing the names replaces the trainees; clearing number and names removes the row.
    data = grid(counts={eid: 3}, names={eid: "张三、赵六"})
    assert park.admin.post(f"{park.url}/{event}/edit", data=data).status_code == 302
    assert trainees_of(park.id, event) == {"张三", "赵六"}

    bad = grid(counts={eid: 1}, names={eid: "张三、赵六"})
    response = park.admin.post(f"{park.url}/{event}/edit", data=bad)
    assert response.status_code == 200
    page = text(response)
    assert "Names of those trained (网格企业): 2 different names, more than the 1 who attended." in page
    assert f'id="names-{eid}-error"' in page
    assert trainees_of(park.id, event) == {"张三", "赵六"}

    too_long = grid(counts={eid: 1}, names={eid: "x" * 20000})
    response = park.admin.post(f"{park.url}/{event}/edit", data=too_long)
    assert response.status_code == 200 and "A name is longer than 64 characters" in text(response)

    assert park.admin.post(f"{park.url}/{event}/edit", data=grid(counts={eid: ""}, names={eid: ""})).status_code == 302
    assert attendance_of(park.id, event) == {}
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(Trainee.id))) == 0


def test_enterprise_user_names_its_people_at_the_bases_event(park, make, login_as):
    mine = make.enterprise(park.tenant, name="本企业", employees=2)
    other = make.enterprise(park.tenant, name="别家企业", employees=2)
    event = add_event(park.id, date(Y, 3, 1), {mine: 2, other: 2}, title="基地培训")
    theirs = add_event(park.id, date(Y, 4, 1), {other: 2}, title="别家参加的培训")
    client = enterprise_user(make, login_as, park.tenant, mine)

    page = text(client.get(f"{park.url}/{event}"))
    assert f'action="/t/park/training/{event}/names"' in page
    response = client.post(f"{park.url}/{event}/names", data={"names": "张三、李四"})
    assert response.status_code == 302
    assert attendance_of(park.id, event) == {mine: (2, "张三、李四"), other: (2, "")}
    assert trainees_of(park.id, event) == {"张三", "李四"}

    # Not more people than the organiser counted; the headcount stays the organiser's.
    response = client.post(f"{park.url}/{event}/names", data={"names": "张三、李四、王五"})
    assert response.status_code == 422
    assert "3 different names, more than the 2 who attended." in text(response)
    assert attendance_of(park.id, event)[mine] == (2, "张三、李四")
    # Only its own row, of an event it attended.
    assert client.post(f"{park.url}/{theirs}/names", data={"names": "张三"}).status_code == 404
    assert trainees_of(park.id, theirs) == set()
    # The base names people in the attendance grid: it has no row of its own here.
    assert park.admin.post(f"{park.url}/{event}/names", data={"names": "张三"}).status_code == 404


def test_deleting_an_event_deletes_its_trainees(park, make):
    eid = make.enterprise(park.tenant, employees=5)
    event = add_event(park.id, date(Y, 3, 1), {eid: 2}, key_staff={eid: "张三、李四"}, title="年度保密培训")
    # Irreversible: the event's title is typed to confirm, checked on the server (saas/confirm.py).
    assert park.admin.post(f"{park.url}/{event}/delete").status_code == 422
    assert park.admin.post(f"{park.url}/{event}/delete", data={"typed": "年度培训"}).status_code == 422
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(Trainee.id))) == 2
    assert park.admin.post(f"{park.url}/{event}/delete", data={"typed": " 年度保密培训 "}).status_code == 302
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(Trainee.id))) == 0


def test_names_are_folded_before_they_are_compared():
    assert split("王五、赵六，王 五;  Anna  LI\nanna li,ＡＢＣ；阿卜杜・热合曼 ; 阿卜杜·热合曼 ,,") == [
        "王五", "赵六", "anna li", "abc", "阿卜杜·热合曼"]
    assert split("") == split(" 、 ,\n") == []
    # A space does not separate names: two names typed with one read as one (fewer, never more).
    assert split("张三 李四") == ["张三李四"]


# --- tenant isolation and constant SQL -----------------------------------------------------------

def test_trainees_belong_to_their_tenant(park, make):
    assert issubclass(Trainee, TenantScoped)
    other = make.tenant(slug="other")
    a = make.enterprise(park.tenant, name="甲园区企业", employees=2)
    b = make.enterprise(other, name="乙园区企业", employees=2)
    add_event(park.id, date(Y, 3, 1), {a: 2}, key_staff={a: "张三、李四"})
    add_event(other.id, date(Y, 3, 1), {b: 1}, key_staff={b: "王五"})

    with reading(park.id) as s:
        assert set(s.scalars(sa.select(Trainee.name))) == {"张三", "李四"}
        assert {t.tenant_id for t in s.scalars(sa.select(Trainee))} == {park.id}
    with reading(other.id) as s:
        assert set(s.scalars(sa.select(Trainee.name))) == {"王五"}
    with cross_tenant_reads("test: both tenants' trainees"):
        assert db.session.scalar(sa.select(sa.func.count(Trainee.id))) == 3
    db.session.rollback()
    with pytest.raises(TenantScopeError):
        db.session.execute(sa.select(Trainee))
    # A row of the other tenant cannot be written from this one.
    with tenant_scope(park.id):
        db.session.add(Trainee(tenant_id=other.id, attendance_id=1, name="混入"))
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()
    # Each tenant's figures count its own names only.
    assert trained_staff_on_page(coverage(park), "甲园区企业") == 2


def test_coverage_and_own_figures_sql_do_not_grow_with_names(park, make, login_as):
    from .test_training import _count, bulk_members

    few = bulk_members(park.id, 2, start=2000)
    client = enterprise_user(make, login_as, park.tenant, few[0])

    def add_named_events(members, n, names_per_member):
        with tenant_scope(park.id):
            db.session.add_all([TrainingEvent(title=f"具名培训{i}", held_on=date(Y, 2, 1 + i % 27), hours=1, attendance=[
                Attendance(enterprise_id=eid, headcount=names_per_member,
                           key_staff="、".join(f"{eid}号{(i + k) % 30}" for k in range(names_per_member)))
                for eid in members]) for i in range(n)])
            db.session.commit()

    add_named_events(few, 1, 2)
    pages = [(park.admin, f"{park.url}/coverage", {"year": Y}),
             (park.admin, f"{park.url}/coverage", {"year": Y, "show": "allstaff"}),
             (client, f"{park.url}/mine", {"year": Y}), (park.admin, "/t/park/", {})]
    small = [_count(c, url, **q) for c, url, q in pages]
    many = bulk_members(park.id, 40, start=3000)
    add_named_events(few + many, 15, 10)
    large = [_count(c, url, **q) for c, url, q in pages]
    assert large == small
    assert trained_staff_on_page(coverage(park), "批量企业02000") == 24  # 16 sessions, names 0 to 23
