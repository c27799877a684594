"""The reviewer's workbench (issue 20): where each role lands, the tabs to do / done / all with
their counts, the filters, which reviewer waits for what (district vs city, another
jurisdiction), done after acting, the pending badge of the top bar (reviewers and instructors),
a constant number of SQL statements, the API."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape
from types import SimpleNamespace

import pytest

from saas.api import tokens as api_tokens
from saas.auth.models import User
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.applications.models import Application, ApplicationEvent, Objection
from tenants.recognition.models import Recognition, UnitApplication
from tenants.recognition.services import decide
from tenants.visits.models import GuidanceVisit, VisitInstructor

from .sql import statements

Y = 2025
TODAY = date.today()
ITEM = re.compile(r'href="/t/([\w-]+)/(applications|units/applications|units/recognitions)/(\d+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(response) -> str:
    """The words on the page: no tags, no attributes, no script."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", text(response), flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def items(client, **query) -> set[tuple[str, str, int]]:
    response = client.get("/workbench/", query_string=query)
    assert response.status_code == 200, response.status_code
    return {(slug, kind, int(i)) for slug, kind, i in ITEM.findall(text(response))}


def counts(client, **query) -> dict[str, int]:
    page = text(client.get("/workbench/", query_string=query))
    return {tab: int(n) for tab, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def badge(client, path="/notifications/") -> int:
    found = set(re.findall(r'class="[^"]*pending-badge" data-pending="(\d+)"', text(client.get(path))))
    assert len(found) <= 1, found  # the menu's and, for phones, the one beside it: the same count
    return int(found.pop()) if found else 0


def put_application(tenant_id, status, year=Y, scheme="cq-park", **fields) -> int:
    with tenant_scope(tenant_id):
        row = Application(scheme=scheme, year=year, status=status, sections={},
                          submitted_at=fields.pop("submitted_at", datetime(Y, 5, 2, 9)), **fields)
        db.session.add(row)
        db.session.commit()
        return row.id


def put_unit(make, tenant, status="recommended", scheme="cq-enterprise", name=None) -> int:
    enterprise_id = make.enterprise(tenant, name=name)
    with tenant_scope(tenant.id):
        row = UnitApplication(kind="enterprise", enterprise_id=enterprise_id, scheme=scheme, year=Y, status=status,
                              submitted_at=datetime(Y, 4, 1), recommended_at=datetime(Y, 4, 20))
        db.session.add(row)
        db.session.commit()
        return row.id


def move(tenant, application_id, to, email, comment=""):
    """A reviewer's decision, through the review chain's service (its pages are the flow's)."""
    from tenants.applications.services import move as move_application

    with tenant_scope(tenant.id):
        move_application(db.session.get(Application, application_id), to, User.by_email(email),
                         db.session.get(Tenant, tenant.id), comment)
        db.session.commit()


def app_item(slug, application_id):
    return (slug, "applications", application_id)


def unit_item(slug, unit_id):
    return (slug, "units/applications", unit_id)


# --- the world ---------------------------------------------------------------------------------

@pytest.fixture
def world(make, login_as):
    """A city with two districts (a park in each), the city's own base, another city with its
    base; reviewers of each bureau, a bureau instructor assigned to the park, a platform admin,
    the park's admin."""
    city = make.bureau("工作台测试市市场监督管理局", level="city")
    district = make.bureau("工作台甲区市场监督管理局", level="district", parent=city)
    other = make.bureau("工作台乙区市场监督管理局", level="district", parent=city)
    elsewhere = make.bureau("另一市市场监督管理局", level="city")
    park = make.tenant(slug="park", name="甲区示范园区", bureau=district, default_locale="en")
    neighbour = make.tenant(slug="neighbour", name="乙区产业园", bureau=other, default_locale="en")
    central = make.tenant(slug="central", name="市直属园区", bureau=city, default_locale="en")
    far = make.tenant(slug="far", name="外市园区", bureau=elsewhere, default_locale="en")
    make.user("admin@example.com", tenant=park, role="admin")
    make.user("dist@example.com", name="甲区审核员", bureau=district, bureau_role="reviewer")
    make.user("other@example.com", name="乙区审核员", bureau=other, bureau_role="reviewer")
    make.user("city@example.com", name="市审核员", bureau=city, bureau_role="reviewer")
    make.user("far@example.com", name="外市审核员", bureau=elsewhere, bureau_role="reviewer")
    instructor = make.user("ins@example.com", name="指导员", tenant=park, role="instructor", bureau=district,
                           bureau_role="instructor")
    make.user("root@example.com", platform_admin=True)
    # Reviewers belong to no tenant: their pages follow their own language, English here.
    from saas.auth.models import User
    from saas.extensions import db

    for email in ("dist@example.com", "other@example.com", "city@example.com", "far@example.com", "ins@example.com",
                  "root@example.com"):
        User.by_email(email).locale = "en"
    db.session.commit()
    return SimpleNamespace(
        make=make, city=city, district=district, other=other, elsewhere=elsewhere, park=park, neighbour=neighbour,
        central=central, far=far, instructor_id=instructor.id,
        admin=login_as("admin@example.com"), dist=login_as("dist@example.com"), otherrev=login_as("other@example.com"),
        cityrev=login_as("city@example.com"), farrev=login_as("far@example.com"), ins=login_as("ins@example.com"),
        root=login_as("root@example.com"))


# --- 1. landing -----------------------------------------------------------------------------------

def test_each_role_lands_on_its_work(world):
    assert world.dist.get("/").headers["Location"] == "/workbench/"
    assert world.cityrev.get("/").headers["Location"] == "/workbench/"
    assert world.ins.get("/").headers["Location"] == "/instructor/"
    assert world.root.get("/").headers["Location"] == "/admin/"
    assert world.admin.get("/").headers["Location"] == "/t/park/"  # one tenant: its dashboard, as before
    # "My tenants" is still there for everyone, from the top bar.
    assert "/tenants" in text(world.cityrev.get("/workbench/"))
    mine = visible(world.cityrev.get("/tenants"))
    assert "甲区示范园区" in mine and "乙区产业园" in mine and "外市园区" not in mine
    # The old queue's address leads to the workbench; nobody else has one.
    assert world.dist.get("/review/", query_string={"tab": "all"}).headers["Location"] == "/workbench/?tab=all"
    assert world.ins.get("/workbench/").headers["Location"] == "/instructor/"
    assert world.admin.get("/workbench/").status_code == 403
    assert world.admin.get("/review/").status_code == 403


def test_a_user_with_several_kinds_of_work_lands_on_a_list_of_them(world, make, login_as):
    """One kind of work opens directly (an instructor who is also the park's instructor member,
    a reviewer whose jurisdiction holds tenants); several are listed, each with what waits."""
    from saas.auth.services import grant

    # A platform admin who also administers a base: two kinds of work, listed.
    root = User.by_email("root@example.com")
    grant(root, world.neighbour, "admin")
    db.session.commit()
    response = world.root.get("/")
    assert response.status_code == 200
    page = text(response)
    works = re.findall(r'data-work="([^"]+)"[^>]*>', page)
    assert works == ["admin", f"tenant-{world.neighbour.id}"]
    assert 'href="/admin/"' in page and 'href="/t/neighbour/"' in page
    # A reviewer who is also a base's admin: the workbench (with its count) and the base.
    dist = User.by_email("dist@example.com")
    grant(dist, world.central, "admin")
    db.session.commit()
    put_application(world.park.id, "submitted")
    page = text(world.dist.get("/"))
    assert re.findall(r'data-work="([^"]+)"', page) == ["workbench", f"tenant-{world.central.id}"]
    assert 'data-waiting="1"' in page
    # An instructor with the park's instructor membership: still one work, the instructor home.
    assert world.ins.get("/").headers["Location"] == "/instructor/"
    # A tenant's instructor without the bureau role lands there too.
    make.user("member-ins@example.com", tenant=world.park, role="instructor")
    assert login_as("member-ins@example.com").get("/").headers["Location"] == "/instructor/"
    # Two bases' admin: both listed.
    two = make.user("two@example.com", tenant=world.park, role="admin")
    grant(two, world.neighbour, "staff")
    db.session.commit()
    assert re.findall(r'data-work="([^"]+)"', text(login_as("two@example.com").get("/"))) == [
        f"tenant-{world.neighbour.id}", f"tenant-{world.park.id}"]


# --- 2. who waits for what ----------------------------------------------------------------------

def test_each_reviewer_sees_what_waits_for_their_level_and_jurisdiction(world):
    submitted = put_application(world.park.id, "submitted")
    recommended = put_application(world.neighbour.id, "recommended")
    own = put_application(world.central.id, "submitted")  # the city's own base: the city takes the district steps
    faraway = put_application(world.far.id, "recommended")
    draft = put_application(world.park.id, "draft", year=Y + 1)
    unit = put_unit(world.make, world.park)
    put_unit(world.make, world.park, status="submitted")  # waits for the park, not the bureau

    assert items(world.dist) == {app_item("park", submitted), unit_item("park", unit)}
    assert items(world.otherrev) == set()  # the neighbour's recommended application is the city's step
    assert items(world.cityrev) == {app_item("neighbour", recommended), app_item("central", own),
                                    unit_item("park", unit)}
    assert items(world.farrev) == {app_item("far", faraway)}
    assert counts(world.dist) == {"todo": 2, "done": 0, "all": 2}
    assert counts(world.cityrev) == {"todo": 3, "done": 0, "all": 4}
    # All: the jurisdiction's submitted work, never a draft, never another city's.
    assert items(world.cityrev, tab="all") == {app_item("park", submitted), app_item("neighbour", recommended),
                                               app_item("central", own), unit_item("park", unit)}
    assert app_item("park", draft) not in items(world.dist, tab="all")
    # An empty tab says what will appear there.
    assert "Nothing waits for you" in visible(world.otherrev.get("/workbench/"))
    assert "You have not acted on anything yet" in visible(world.dist.get("/workbench/?tab=done"))


def test_rows_read_as_words_with_days_waiting_and_deadlines(world):
    notice = put_application(world.park.id, "public_notice", notice_start=TODAY - timedelta(days=3),
                             notice_end=TODAY + timedelta(days=11))
    with tenant_scope(world.park.id):
        db.session.add_all([Objection(application_id=notice, received_on=TODAY - timedelta(days=2), text="异议一"),
                            Objection(application_id=notice, received_on=TODAY - timedelta(days=3), text="已处理",
                                      outcome="不成立", resolved_on=TODAY)])
        db.session.add(ApplicationEvent(application_id=notice, from_status="city_review", to_status="public_notice",
                                        created_at=datetime.combine(TODAY - timedelta(days=3), datetime.min.time())))
        db.session.commit()
    due = put_application(world.neighbour.id, "recognised", year=Y - 2, recognised_on=TODAY - timedelta(days=700),
                          rereview_due=TODAY + timedelta(days=30))
    put_application(world.central.id, "recognised", year=Y - 1, rereview_due=TODAY + timedelta(days=400))
    enterprise_id = world.make.enterprise(world.park, name="到期示范企业")
    with tenant_scope(world.park.id):
        recognition = Recognition(kind="enterprise", enterprise_id=enterprise_id, scheme="cq-enterprise",
                                  certificate_no="渝-1", issued_by="市局", recognised_on=TODAY - timedelta(days=700),
                                  valid_until=TODAY + timedelta(days=20))
        db.session.add(recognition)
        db.session.commit()
        recognition_id = recognition.id

    world.cityrev.post("/lang/en")
    response = world.cityrev.get("/workbench/")
    rows = re.findall(r'<tr data-kind="(\w+)".*?</tr>', text(response), flags=re.S)
    assert sorted(rows) == ["application", "objection", "rereview", "unit_rereview"]
    page = visible(response)
    # The scheme's title and the stage in words; never a code.
    assert "Chongqing park standard" in page and "Public notice" in page and "Objection to resolve" in page
    assert "Re-review or evaluation due" in page and "到期示范企业" in page
    for code in ("cq-park", "cq-enterprise", "public_notice", "city_review", "unit_rereview"):
        assert code not in page, code
    assert "Days waiting: 3" in page  # since the last event
    assert "Days left: 11" in page and "Days left: 30" in page and "Days left: 20" in page
    # Ordered by deadline: the notice (11 days), the unit (20), the base's re-review (30).
    links = [m.group(0) for m in ITEM.finditer(text(response).split('id="workbench-cards"')[0])]
    assert links[:2] == [f'href="/t/park/applications/{notice}"'] * 2  # the notice and its objection
    assert links[2:] == [f'href="/t/park/units/recognitions/{recognition_id}"',
                         f'href="/t/neighbour/applications/{due}"']
    # The unit's re-review is the district's too; the base's re-review and the objection are not.
    assert items(world.dist) == {("park", "units/recognitions", recognition_id)}
    # In Chinese, the same page in Chinese words.
    world.cityrev.post("/lang/zh_CN")
    chinese = visible(world.cityrev.get("/workbench/"))
    assert "重庆市园区商业秘密保护示范基地创建标准" in chinese and "公示" in chinese and "cq-park" not in chinese


# --- 3. filters and pages -------------------------------------------------------------------------

def test_filters_by_scheme_year_district_and_stage(world):
    park_app = put_application(world.park.id, "recommended")
    neighbour_app = put_application(world.neighbour.id, "city_review", scheme="xc-zone")
    older = put_application(world.neighbour.id, "recommended", year=Y - 1)
    unit = put_unit(world.make, world.neighbour)
    everything = {app_item("park", park_app), app_item("neighbour", neighbour_app), app_item("neighbour", older),
                  unit_item("neighbour", unit)}
    assert items(world.cityrev) == everything
    assert items(world.cityrev, scheme="xc-zone") == {app_item("neighbour", neighbour_app)}
    assert items(world.cityrev, year=Y - 1) == {app_item("neighbour", older)}
    assert items(world.cityrev, district=world.district.id) == {app_item("park", park_app)}
    assert items(world.cityrev, district=world.city.id) == everything  # the city and the bureaus below it
    assert items(world.cityrev, stage="unit_decision") == {unit_item("neighbour", unit)}
    assert items(world.cityrev, stage="city_review", district=world.other.id) == {
        app_item("neighbour", neighbour_app), app_item("neighbour", older)}
    assert counts(world.cityrev, stage="city_review") == {"todo": 3, "done": 0, "all": 3}
    # Values that are not choices are ignored, never an error.
    for bad in ({"district": world.elsewhere.id}, {"year": "99999999999999999999"}, {"stage": "x"},
                {"scheme": "<b>"}, {"tab": "nope"}, {"page": "-1"}):
        assert items(world.cityrev, **bad) == everything, bad
    assert "Nothing matches these filters" in visible(world.cityrev.get("/workbench/?stage=rereview"))


def test_pages_of_25(world):
    ids = [put_application(world.neighbour.id, "recommended", year=y) for y in range(2001, 2031)]
    first, second = items(world.cityrev), items(world.cityrev, page=2)
    assert len(first) == 25 and len(second) == 5 and first | second == {app_item("neighbour", i) for i in ids}


# --- 4. done after acting, and the badge ------------------------------------------------------------

def test_done_and_the_badge_follow_each_decision(world):
    application_id = put_application(world.park.id, "submitted")
    unit = put_unit(world.make, world.park)
    assert (badge(world.dist), badge(world.cityrev), badge(world.otherrev)) == (2, 1, 0)
    assert badge(world.dist, "/t/park/") == 2  # on tenant pages too

    move(world.park, application_id, "district_review", "dist@example.com")
    assert badge(world.dist) == 2  # still the district's step
    move(world.park, application_id, "recommended", "dist@example.com")
    assert (badge(world.dist), badge(world.cityrev)) == (1, 2)
    assert items(world.dist, tab="done") == {app_item("park", application_id)}
    assert counts(world.dist) == {"todo": 1, "done": 1, "all": 2}

    with tenant_scope(world.park.id):
        decide(db.session.get(UnitApplication, unit), False, User.by_email("city@example.com").id, note="材料不全")
        db.session.commit()
    assert (badge(world.dist), badge(world.cityrev)) == (0, 1)
    assert items(world.cityrev, tab="done") == {unit_item("park", unit)}
    assert items(world.dist, tab="done") == {app_item("park", application_id)}
    assert "pending-badge" not in text(world.dist.get("/notifications/"))
    assert "pending-badge" not in text(world.admin.get("/t/park/"))


def test_instructor_home_and_badge(world):
    enterprise_id = world.make.enterprise(world.park, name="被指导企业")
    with tenant_scope(world.park.id):
        visits = [GuidanceVisit(enterprise_id=enterprise_id, visited_on=TODAY - timedelta(days=60), topics=["rules"],
                                status="rectified", rectification="已整改"),
                  GuidanceVisit(enterprise_id=enterprise_id, visited_on=TODAY - timedelta(days=50), topics=["rules"],
                                follow_up_due=TODAY - timedelta(days=1)),
                  GuidanceVisit(enterprise_id=enterprise_id, visited_on=TODAY - timedelta(days=5), topics=["rules"],
                                follow_up_due=TODAY + timedelta(days=30))]
        db.session.add_all(visits)
        db.session.flush()
        db.session.add_all(VisitInstructor(visit_id=v.id, user_id=world.instructor_id) for v in visits)
        db.session.commit()
        rectified_id = visits[0].id
    assert badge(world.ins) == 2  # the rectification to check and the follow-up past its day
    home = visible(world.ins.get("/instructor/"))
    assert "Rectifications to check" in home and "Not yet acknowledged by the enterprise" in home
    # Closing the checked visit takes it off the count.
    with tenant_scope(world.park.id):
        db.session.get(GuidanceVisit, rectified_id).status = "closed"
        db.session.commit()
    assert badge(world.ins) == 1


# --- 5. constant SQL ----------------------------------------------------------------------------

def _jurisdiction(make, city, n: int, reviewer_id: int) -> None:
    """n bases in districts of the city, each with an application and a unit application
    waiting, an objection during a notice, and an application the reviewer acted on."""
    for k in range(n):
        bureau = make.bureau(f"常数区{n}-{k}", level="district", parent=city)
        tenant = make.tenant(slug=f"const-{n}-{k}", bureau=bureau)
        waiting = put_application(tenant.id, "recommended")
        with tenant_scope(tenant.id):
            db.session.add(ApplicationEvent(application_id=waiting, from_status="recommended", to_status="city_review",
                                            user_id=reviewer_id))
            db.session.commit()
        notice = put_application(tenant.id, "public_notice", year=Y - 1, notice_end=TODAY + timedelta(days=3))
        with tenant_scope(tenant.id):
            db.session.add(Objection(application_id=notice, received_on=TODAY, text="异议"))
            db.session.commit()
        put_unit(make, tenant)


@pytest.mark.parametrize("tab", ["todo", "done", "all"])
def test_the_workbench_runs_a_constant_number_of_statements(make, login_as, uncached, tab):
    sizes = {}
    for n in (2, 20):
        city = make.bureau(f"常数市{n}", level="city")
        reviewer = make.user(f"const{n}@example.com", bureau=city, bureau_role="reviewer")
        _jurisdiction(make, city, n, reviewer.id)
        client = login_as(f"const{n}@example.com")
        client.get("/workbench/", query_string={"tab": tab})  # warm-up
        with statements() as seen:
            response = client.get("/workbench/", query_string={"tab": tab, "district": ""})
        assert response.status_code == 200
        sizes[n] = len(seen)
        assert len(set(ITEM.findall(text(response)))) >= n
    assert sizes[2] == sizes[20], sizes


# --- 6. the API ---------------------------------------------------------------------------------

def test_api_workbench(world, client):
    application_id = put_application(world.park.id, "submitted")
    unit = put_unit(world.make, world.park, name="接口企业")

    def token(email, tenant):
        user = User.by_email(email)
        _t, raw = api_tokens.issue(user, db.session.merge(tenant), "workbench")
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    dist = token("dist@example.com", world.park)
    body = client.get(f"/api/v1/bureaus/{world.district.id}/workbench", headers=dist).get_json()
    assert body["tab"] == "todo" and body["counts"] == {"todo": 2, "done": 0, "all": 2} and body["total"] == 2
    by_kind = {i["kind"]: i for i in body["items"]}
    assert by_kind["application"]["id"] == application_id and by_kind["unit"]["id"] == unit
    assert by_kind["application"]["url"] == f"/t/park/applications/{application_id}"
    assert by_kind["unit"]["unit"] == "接口企业" and by_kind["unit"]["scheme"] == "cq-enterprise"
    assert by_kind["application"]["tenant"] == {"slug": "park", "name": "甲区示范园区"}
    assert by_kind["application"]["stage"] and by_kind["application"]["scheme_title"] != "cq-park"
    done = client.get(f"/api/v1/bureaus/{world.district.id}/workbench?tab=done", headers=dist).get_json()
    assert done["items"] == [] and done["tab"] == "done"
    filtered = client.get(f"/api/v1/bureaus/{world.district.id}/workbench?tab=all&stage=unit_decision",
                          headers=dist).get_json()
    assert [i["kind"] for i in filtered["items"]] == ["unit"]
    # Errors name the parameter; another bureau is not found.
    for query, field in (("tab=later", "tab"), ("stage=x", "stage"), ("year=1800", "year"), ("per_page=0", "per_page"),
                         (f"district={world.elsewhere.id}", "district")):
        response = client.get(f"/api/v1/bureaus/{world.district.id}/workbench?{query}", headers=dist)
        assert response.status_code == 400 and field in response.get_json()["error"]["fields"], query
    assert client.get(f"/api/v1/bureaus/{world.city.id}/workbench", headers=dist).status_code == 404
    admin = token("admin@example.com", world.park)
    assert client.get(f"/api/v1/bureaus/{world.district.id}/workbench", headers=admin).status_code == 404
    assert client.get(f"/api/v1/bureaus/{world.district.id}/workbench").status_code == 401


def test_the_api_documents_every_kind_of_work_item():
    """A new kind of item (reports, referrals…) must be in the OpenAPI enum, or clients reject it."""
    from saas.api.openapi import SCHEMAS
    from tenants.workbench.items import KINDS

    assert SCHEMAS["WorkbenchItem"]["properties"]["kind"]["enum"] == list(KINDS)
