"""Size of a real association (issue 22): the members search behind the searchable pickers
(matches, limit, tenant isolation, permissions, constant SQL), the forms that use it, and a big
tenant's training form — the attendance recorded plus an add area (picker and pasted list, all
lines valid or nothing written) instead of one row per member.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.members.models import Enterprise
from tenants.training.models import Attendance
from tenants.training.services import GRID_MAX

from .factories import credit_code_for
from .sql import statements
from .test_training import Y, add_event, attendance_of, bulk_members, enterprise_user, events_of, grid, reading, \
    text, withdraw


@pytest.fixture
def park(make, login_as):
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en")
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    return SimpleNamespace(tenant=tenant, id=tenant.id, slug=tenant.slug, admin=login_as("admin@example.com"),
                           url=f"/t/{tenant.slug}")


def found(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [r["name"] for r in response.get_json()["results"]]


# --- 1. the search endpoint ----------------------------------------------------------------------

def test_search_matches_name_and_credit_code(park, make):
    a = make.enterprise(park.tenant, name="蓝海软件有限公司", credit_code=credit_code_for(501))
    make.enterprise(park.tenant, name="深蓝数据", credit_code=credit_code_for(502))
    make.enterprise(park.tenant, name="红星机械", credit_code=credit_code_for(503))
    gone = make.enterprise(park.tenant, name="蓝天退出企业", credit_code=credit_code_for(504))
    withdraw(park.id, gone, date(Y, 1, 31))
    search = f"{park.url}/members/search"
    # Names containing the words, those starting with them first; a withdrawn member is no choice.
    assert found(park.admin.get(search, query_string={"q": "蓝"})) == ["蓝海软件有限公司", "深蓝数据"]
    assert found(park.admin.get(search, query_string={"q": "  红星 "})) == ["红星机械"]
    # By credit code (its start, any case, spaces ignored).
    response = park.admin.get(search, query_string={"q": credit_code_for(501)[:17].lower()})
    assert found(response) == ["蓝海软件有限公司"]
    assert response.get_json()["results"][0] == {"id": a, "name": "蓝海软件有限公司",
                                                 "credit_code": credit_code_for(501), "withdrawn": False}
    # Nothing typed, nothing matching, LIKE wildcards taken literally.
    assert found(park.admin.get(search)) == []
    assert found(park.admin.get(search, query_string={"q": "不存在"})) == []
    assert found(park.admin.get(search, query_string={"q": "%"})) == []
    assert found(park.admin.get(search, query_string={"q": "_"})) == []


def test_search_returns_at_most_twenty_and_constant_sql(park):
    bulk_members(park.id, 3, start=100)
    search = f"{park.url}/members/search"
    park.admin.get(search, query_string={"q": "批量"})  # warm-up
    with statements() as few:
        assert len(found(park.admin.get(search, query_string={"q": "批量"}))) == 3
    bulk_members(park.id, 60, start=200)
    with statements() as many:
        names = found(park.admin.get(search, query_string={"q": "批量"}))
    assert len(names) == 20 and names == sorted(names)
    assert len(many) == len(few)


def test_search_never_shows_another_tenants_members(park, make, login_as):
    other = make.tenant(slug="other", default_locale="en")
    make.enterprise(other, name="别园蓝海科技", credit_code=credit_code_for(601))
    make.user("other@example.com", tenant=other, role="admin")
    make.enterprise(park.tenant, name="本园蓝海科技", credit_code=credit_code_for(602))
    assert found(park.admin.get(f"{park.url}/members/search", query_string={"q": "蓝海"})) == ["本园蓝海科技"]
    assert found(park.admin.get(f"{park.url}/members/search",
                                query_string={"q": credit_code_for(601)})) == []
    # Another tenant's admin does not reach this tenant's search at all.
    outsider = login_as("other@example.com")
    response = outsider.get(f"{park.url}/members/search", query_string={"q": "蓝海"})
    assert response.status_code == 404
    assert "本园蓝海科技" not in text(response) and credit_code_for(602) not in text(response)
    assert response.mimetype == "text/html"  # the error page, no JSON of results
    assert found(outsider.get("/t/other/members/search", query_string={"q": "蓝海"})) == ["别园蓝海科技"]


def test_search_is_for_those_who_read_the_roster(park, make, login_as, client):
    ent = make.enterprise(park.tenant, name="蓝海软件")
    enterprise = enterprise_user(make, login_as, park.tenant, ent)
    assert enterprise.get(f"{park.url}/members/search", query_string={"q": "蓝"}).status_code == 403
    make.user("ins@example.com", tenant=park.tenant, role="instructor")
    assert found(login_as("ins@example.com").get(f"{park.url}/members/search", query_string={"q": "蓝"})) == ["蓝海软件"]
    anonymous = client.get(f"{park.url}/members/search", query_string={"q": "蓝"})
    assert anonymous.status_code in (302, 401) and "蓝海软件" not in text(anonymous)


# --- 2. the forms marked as pickers ----------------------------------------------------------------

def test_enterprise_pickers_are_marked(park, make, login_as):
    make.enterprise(park.tenant, name="蓝海软件")
    with tenant_scope(park.id):
        from tenants.stations.models import Station

        db.session.add(Station(name="指导站"))
        db.session.commit()
    search = f'data-picker="/t/{park.slug}/members/search"'
    for url in ("/stations/log/new", "/training/new", "/visits/team/staff/new", "/settings/users/invite"):
        page = text(park.admin.get(park.url + url))
        assert re.search(rf'<select[^>]*{search}', page), url
    assert re.search(rf'<select[^>]*name="enterprise"[^>]*{search}', text(park.admin.get(f"{park.url}/stations/log/")))
    make.user("ins@example.com", tenant=park.tenant, role="instructor")
    assert re.search(rf'<select[^>]*{search}', text(login_as("ins@example.com").get(f"{park.url}/visits/new")))
    # The plain select keeps every member: without JavaScript it still works.
    assert "蓝海软件</option>" in text(park.admin.get(f"{park.url}/stations/log/new"))


# --- 3. a big tenant's training form -----------------------------------------------------------------

@pytest.fixture
def big(park):
    ids = bulk_members(park.id, 400, start=1000)
    return SimpleNamespace(ids=ids, name=lambda i: f"批量企业{1000 + i:05d}", code=lambda i: credit_code_for(1000 + i))


def count_fields(page: str) -> int:
    return len(re.findall(r"<(?:input|textarea|select)\b", page))


def test_training_form_at_400_members_is_not_one_row_per_member(park, big):
    event = add_event(park.id, date(Y, 5, 1), {big.ids[0]: 3, big.ids[1]: 4})
    page = text(park.admin.get(f"{park.url}/training/{event}/edit"))
    assert len(re.findall(r'name="hc-\d+"', page)) == 2  # the attendance recorded, not 400 rows
    assert f'name="hc-{big.ids[0]}"' in page and f'name="hc-{big.ids[2]}"' not in page
    assert count_fields(page) < 40
    assert len(page) < 60_000  # 27 KB, of which the organiser's plain select (400 options, no-JS fallback)
    assert 'name="bulk"' in page and 'id="add-who"' in page and "data-picker=" in page
    assert f"/training/{event}#sign-in" in page  # the sign-in sheet import stays linked
    new = text(park.admin.get(f"{park.url}/training/new"))
    assert not re.search(r'name="hc-\d+"', new) and count_fields(new) < 40


def test_small_tenant_keeps_the_grid(park):
    ids = bulk_members(park.id, GRID_MAX, start=1000)
    page = text(park.admin.get(f"{park.url}/training/new"))
    assert len(re.findall(r'name="hc-\d+"', page)) == len(ids) and 'name="bulk"' not in page


def test_training_form_sql_does_not_grow_with_members(park):
    first = bulk_members(park.id, GRID_MAX + 1, start=1000)
    event = add_event(park.id, date(Y, 5, 1), {first[0]: 3, first[1]: 4})
    url = f"{park.url}/training/{event}/edit"
    park.admin.get(url)
    with statements() as few:
        assert park.admin.get(url).status_code == 200
    bulk_members(park.id, 340, start=3000)
    with statements() as many:
        assert park.admin.get(url).status_code == 200
    assert len(many) == len(few)


def test_paste_a_list_adds_attendance(park, big):
    pasted = "\n".join([f"{big.name(0)}\t5\t张三、李四",  # copied from a sign-in sheet
                        f"{big.code(1).lower()}，3",  # credit code, full-width comma
                        "",
                        f"  {big.name(2)} ",  # no number: 1
                        f"批量企业 01003, 2"])  # spaces folded
    response = park.admin.post(f"{park.url}/training/new",
                               data=grid(bulk=pasted, **{"add-who": big.name(4), "add-headcount": "7"}))
    assert response.status_code == 302
    [event] = events_of(park.id)
    assert attendance_of(park.id, event.id) == {big.ids[0]: (5, "张三、李四"), big.ids[1]: (3, ""),
                                                big.ids[2]: (1, ""), big.ids[3]: (2, ""), big.ids[4]: (7, "")}


def test_bad_lines_are_rejected_with_reasons_and_nothing_is_written(park, big, make):
    make.enterprise(park.tenant, name="同名企业", credit_code=credit_code_for(9001))
    make.enterprise(park.tenant, name="同名企业", credit_code=credit_code_for(9002))
    event = add_event(park.id, date(Y, 5, 1), {big.ids[0]: 3}, title="原标题")
    pasted = "\n".join([f"{big.name(1)}\t4",
                        "不存在的企业",
                        "同名企业, 2",
                        f"{big.name(2)}\t两个",
                        f"{big.code(1)}, 6",
                        f"{big.name(5)}, 30"])  # 20 employees
    response = park.admin.post(f"{park.url}/training/{event}/edit",
                               data=grid(title="不应保存", counts={big.ids[0]: 9}, bulk=pasted))
    assert response.status_code == 200
    page = text(response)
    assert "Nothing was saved" in page
    assert "Line 2: Not a member enterprise: 不存在的企业" in page
    assert "Line 3: 2 members are called 同名企业: give its credit code." in page
    assert "Line 4: Not a headcount: 两个" in page
    assert f"Line 5: {big.name(1)} is already on line 1." in page
    assert "Line 1:" not in page
    assert attendance_of(park.id, event) == {big.ids[0]: (3, "")}
    assert [e.title for e in events_of(park.id)] == ["原标题"]
    assert pasted.split("\n")[1] in page  # the list stays in the box to be corrected
    # A near name is suggested, not taken.
    response = park.admin.post(f"{park.url}/training/{event}/edit", data=grid(bulk="企业01007"))
    assert "Did you mean: 批量企业01007?" in text(response)
    # Once the lines are right (the ambiguous one by its credit code), the rest is checked too:
    # a headcount above the employees is reported on its line and nothing is written.
    response = park.admin.post(f"{park.url}/training/{event}/edit",
                               data=grid(bulk=f"{credit_code_for(9001)}, 2\n{big.name(5)}, 30"))
    assert response.status_code == 200 and "Line 2: Attended (批量企业01005): 30 is more than its 20 employees." in text(response)
    assert attendance_of(park.id, event) == {big.ids[0]: (3, "")}


def test_submitting_twice_does_not_duplicate(park, big):
    event = add_event(park.id, date(Y, 5, 1), {big.ids[0]: 3})
    form = grid(counts={big.ids[0]: 3}, bulk=f"{big.name(0)}\n{big.name(1)}, 4",
                **{"add-who": big.code(2), "add-headcount": "2"})
    for _ in range(2):  # the same form sent again (a double click, the back button)
        assert park.admin.post(f"{park.url}/training/{event}/edit", data=form).status_code == 302
    # A member already recorded keeps its headcount when the line gives none.
    assert attendance_of(park.id, event) == {big.ids[0]: (3, ""), big.ids[1]: (4, ""), big.ids[2]: (2, "")}
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(Attendance.id))) == 3
    # The picker's enterprise and a line naming the same one: said, not guessed.
    response = park.admin.post(f"{park.url}/training/{event}/edit",
                               data=grid(bulk=f"{big.name(3)}, 1", **{"add-who": big.name(3)}))
    assert response.status_code == 200 and f"Line 1: {big.name(3)} is also the enterprise added above." in text(response)


def test_other_tenants_members_cannot_be_pasted(park, big, make):
    other = make.tenant(slug="other", default_locale="en")
    make.enterprise(other, name="别园企业", credit_code=credit_code_for(7001))
    event = add_event(park.id, date(Y, 5, 1), {big.ids[0]: 3})
    for line in ("别园企业, 2", f"{credit_code_for(7001)}, 2"):
        response = park.admin.post(f"{park.url}/training/{event}/edit", data=grid(bulk=line))
        assert response.status_code == 200 and "Line 1: Not a member enterprise" in text(response)
    assert attendance_of(park.id, event) == {big.ids[0]: (3, "")}
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(Enterprise.id))) == 400


def test_a_paste_of_too_many_lines_is_refused(park, big):
    event = add_event(park.id, date(Y, 5, 1), {big.ids[0]: 3})
    response = park.admin.post(f"{park.url}/training/{event}/edit", data=grid(bulk="\n".join([big.name(1)] * 2001)))
    assert response.status_code == 200 and "At most 2000 lines at a time." in text(response)
    assert attendance_of(park.id, event) == {big.ids[0]: (3, "")}
