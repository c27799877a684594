"""Issue 18, items 5, 12 and 14 (records): editing never erases the rows of members that have
withdrawn since; sign-in sheets and attendance figures of other members stay with the roles that
manage training; liaison numbers, training headcounts and survey counts are checked, each error
naming its field.
"""

from __future__ import annotations

import io
import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage

from saas import files
from saas.api import tokens as api_tokens
from saas.auth.models import User
from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.members.models import Enterprise, LiaisonPerson, SurveyYear
from tenants.members.services import MemberError, change_status, normalise_landline, normalise_mobile
from tenants.training.models import Attendance, TrainingEvent
from tenants.visits.models import GuidanceVisit, InstructorEnterprise, ProtectionStaff, VisitInstructor

from .factories import credit_code_for

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
Y = 2024


@pytest.fixture
def park(make, login_as):
    bureau = make.bureau("硬化测试区市场监督管理局")
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en", bureau=bureau)
    admin = make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    return SimpleNamespace(tenant=tenant, id=tenant.id, slug=tenant.slug, bureau=bureau, admin_id=admin.id,
                           admin=login_as("admin@example.com"), url=f"/t/{tenant.slug}")


def text(response) -> str:
    return response.get_data(as_text=True)


def reading(tenant_id):
    db.session.rollback()
    return tenant_scope(tenant_id)


def add_event(tenant_id, attendance, title="园区培训", held_on=date(Y, 5, 10), **kw) -> int:
    with tenant_scope(tenant_id):
        event = TrainingEvent(title=title, held_on=held_on, hours=2, **kw,
                              attendance=[Attendance(enterprise_id=eid, headcount=n) for eid, n in attendance.items()])
        db.session.add(event)
        db.session.commit()
        return event.id


def attendance_of(tenant_id, event_id) -> dict[int, int]:
    with reading(tenant_id):
        return dict(db.session.execute(sa.select(Attendance.enterprise_id, Attendance.headcount)
                                       .where(Attendance.event_id == event_id)).all())


def withdraw(tenant_id, enterprise_id, on=date(Y, 8, 31)):
    with tenant_scope(tenant_id):
        change_status(db.session.get(Enterprise, enterprise_id), "withdrawn", on=on, reason="迁出本园区")
        db.session.commit()


def as_browser_sends(page: str) -> dict:
    """The values of a page's form fields as a browser submits them (inputs, checked boxes,
    the selected option of each select, textareas)."""
    data: dict = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or re.search(r'type="(submit|file)"', tag):
            continue
        if re.search(r'type="(checkbox|radio)"', tag):
            if " checked" not in tag:
                continue
            value = re.search(r'value="([^"]*)"', tag)
            data.setdefault(name.group(1), []).append(value.group(1) if value else "y")
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        options = re.findall(r"<option[^>]*>", body)
        chosen = [o for o in options if re.search(r"\sselected", o)] or options
        data[name] = re.search(r'value="([^"]*)"', chosen[0]).group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = body.strip()
    return data


def user_of(make, login_as, tenant, role, enterprise_id=None, email=None):
    email = email or f"{role}-{enterprise_id or 0}@example.com"
    user = make.user(email, name=f"{role}用户")
    grant(user, tenant, role, enterprise_id)
    db.session.commit()
    return user, login_as(email)


# --- 5. history is never erased by editing something else ---------------------------------------

def test_saving_a_past_event_keeps_the_attendance_of_a_member_withdrawn_since(park, make):
    a = make.enterprise(park.tenant, name="A 在册企业", employees=20)
    b = make.enterprise(park.tenant, name="B 已退出企业", employees=20)
    event = add_event(park.id, {a: 6, b: 9})
    withdraw(park.id, b)

    form = text(park.admin.get(f"{park.url}/training/{event}/edit"))
    assert f'name="hc-{b}"' in form and "B 已退出企业" in form and "Withdrawn" in form
    data = as_browser_sends(form)
    assert data[f"hc-{b}"] == "9"
    data.update({"title": "园区培训（更正）", f"hc-{a}": "7"})
    response = park.admin.post(f"{park.url}/training/{event}/edit", data=data)
    assert response.status_code == 302, text(response)[-2000:]
    assert attendance_of(park.id, event) == {a: 7, b: 9}

    # The withdrawn member's row may still be corrected, and removed on purpose.
    data[f"hc-{b}"] = "8"
    assert park.admin.post(f"{park.url}/training/{event}/edit", data=data).status_code == 302
    assert attendance_of(park.id, event) == {a: 7, b: 8}
    # A form that does not carry the row (an old page, another client) leaves it alone.
    data.pop(f"hc-{b}")
    assert park.admin.post(f"{park.url}/training/{event}/edit", data=data).status_code == 302
    assert attendance_of(park.id, event) == {a: 7, b: 8}
    data[f"hc-{b}"] = ""
    assert park.admin.post(f"{park.url}/training/{event}/edit", data=data).status_code == 302
    assert attendance_of(park.id, event) == {a: 7}
    # A new event offers today's members only.
    assert f'name="hc-{b}"' not in text(park.admin.get(f"{park.url}/training/new"))


def test_internal_training_of_a_member_withdrawn_since_can_still_be_edited(park, make):
    gone = make.enterprise(park.tenant, name="退出企业", employees=30)
    event = add_event(park.id, {gone: 12}, title="退出企业内训", organiser="enterprise", organiser_enterprise_id=gone)
    withdraw(park.id, gone)
    data = as_browser_sends(text(park.admin.get(f"{park.url}/training/{event}/edit")))
    assert data["organiser_enterprise_id"] == str(gone)
    data["title"] = "退出企业内训（更正）"
    assert park.admin.post(f"{park.url}/training/{event}/edit", data=data).status_code == 302
    with reading(park.id):
        saved = db.session.get(TrainingEvent, event)
        assert (saved.title, saved.organiser_enterprise_id) == ("退出企业内训（更正）", gone)
    assert attendance_of(park.id, event) == {gone: 12}


def test_instructor_enterprises_keep_a_member_withdrawn_since(park, make, login_as):
    instructor = make.user("ins@example.com", name="指导员", tenant=park.tenant, role="instructor")
    a = make.enterprise(park.tenant, name="A 在册企业")
    b = make.enterprise(park.tenant, name="B 已退出企业")
    c = make.enterprise(park.tenant, name="C 在册企业")
    url = f"{park.url}/visits/instructors/{instructor.id}/enterprises"
    assert park.admin.post(url, data={**as_browser_sends(text(park.admin.get(url))),
                                      "enterprise": [str(a), str(b)]}).status_code == 302
    withdraw(park.id, b)

    page = text(park.admin.get(url))
    assert "B 已退出企业" in page
    data = as_browser_sends(page)
    data["enterprise"] = data["enterprise"] + [str(c)]  # adds C, touches nothing else
    assert park.admin.post(url, data=data).status_code == 302
    with reading(park.id):
        assert set(db.session.scalars(sa.select(InstructorEnterprise.enterprise_id))) == {a, b, c}


def test_protection_staff_of_a_member_withdrawn_since_can_still_be_edited(park, make):
    gone = make.enterprise(park.tenant, name="退出企业")
    with tenant_scope(park.id):
        row = ProtectionStaff(enterprise_id=gone, name="保密专员", employment="part_time")
        db.session.add(row)
        db.session.commit()
        row_id = row.id
    withdraw(park.id, gone)
    url = f"{park.url}/visits/team/staff/{row_id}"
    data = as_browser_sends(text(park.admin.get(url)))
    assert data["enterprise_id"] == str(gone)
    data["position"] = "法务"
    assert park.admin.post(url, data=data).status_code == 302
    with reading(park.id):
        assert (db.session.get(ProtectionStaff, row_id).enterprise_id,
                db.session.get(ProtectionStaff, row_id).position) == (gone, "法务")


# --- 12. other members' attendance stays with the roles that manage training ---------------------

@pytest.fixture
def shared(park, make, login_as):
    """A base event attended by A and B, with materials and a sign-in sheet uploaded by staff."""
    t = park.tenant
    ids = SimpleNamespace(a=make.enterprise(t, name="A 本企业", employees=50),
                          b=make.enterprise(t, name="B 别家企业", employees=50))
    ids.event = add_event(park.id, {ids.a: 8, ids.b: 9}, title="基地培训甲乙")
    with tenant_scope(park.id):
        materials = files.store(FileStorage(io.BytesIO(PDF), "课件.pdf"), "training", ids.event, "materials",
                                user_id=park.admin_id)
        sheet = files.store(FileStorage(io.BytesIO(PDF), "签到表.pdf"), "training", ids.event, "signin",
                            user_id=park.admin_id)
        db.session.commit()
        ids.materials, ids.sheet = materials.id, sheet.id
    ids.user, ids.client = user_of(make, login_as, t, "enterprise", ids.a)
    return ids


def test_only_training_managers_download_a_sign_in_sheet(park, make, login_as, shared):
    sheet = f"{park.url}/training/{shared.event}/files/{shared.sheet}"
    materials = f"{park.url}/training/{shared.event}/files/{shared.materials}"
    ent = shared.client
    assert ent.get(sheet).status_code == 403
    assert ent.get(materials).status_code == 200
    page = text(ent.get(f"{park.url}/training/{shared.event}"))
    assert "课件.pdf" in page and "签到表.pdf" not in page

    _staff, staff = user_of(make, login_as, park.tenant, "staff")
    _ins, instructor = user_of(make, login_as, park.tenant, "instructor")
    make.user("reviewer@example.com", bureau=park.bureau, bureau_role="reviewer")
    reviewer = login_as("reviewer@example.com")
    for client in (park.admin, staff):
        assert client.get(sheet).status_code == 200
        assert "签到表.pdf" in text(client.get(f"{park.url}/training/{shared.event}"))
    for client in (instructor, reviewer):
        assert client.get(sheet).status_code == 403
        assert client.get(materials).status_code == 200

    # The one exception: a sheet the enterprise user uploaded itself (its own internal training).
    own = add_event(park.id, {shared.a: 12}, title="甲内部培训", organiser="enterprise", organiser_enterprise_id=shared.a)
    response = shared.client.post(f"{park.url}/training/{own}/files", content_type="multipart/form-data",
                                  data={"file": (io.BytesIO(PDF), "内训签到.pdf"), "label": "signin"})
    assert response.status_code == 302
    with reading(park.id):
        [attachment] = files.attachments_of("training", own)
    assert shared.client.get(f"{park.url}/training/{own}/files/{attachment.id}").status_code == 200


def test_the_event_list_shows_an_enterprise_its_own_attendance_only(park, shared):
    page = text(shared.client.get(f"{park.url}/training/", query_string={"year": Y}))
    row = re.search(r"基地培训甲乙</a></td>.*?</tr>", page, re.S).group(0)
    assert re.findall(r'<td class="text-end">(\d+)</td>', row) == ["1", "8"]
    page = text(park.admin.get(f"{park.url}/training/", query_string={"year": Y}))
    row = re.search(r"基地培训甲乙</a></td>.*?</tr>", page, re.S).group(0)
    assert re.findall(r'<td class="text-end">(\d+)</td>', row) == ["2", "17"]


# Every file or export of training, visits and stations (the test fails on a new one, so that it
# gets a line here): what an enterprise user gets.
DOWNLOADS = {
    "training.file": None, "training.export": 403,
    "visits.export": 403, "visits.photo": None, "visits.activity_file": 403,
    "stations.document": 403, "stations.log_file": 403, "stations.export_log": 403,
}


def test_every_download_keeps_other_members_data_from_enterprise_users(app, park, make, login_as, shared):
    rules = {r.endpoint for r in app.url_map.iter_rules()
             if r.endpoint.split(".")[0] in ("training", "visits", "stations")
             and re.search(r"(files|photos|documents)/<int:attachment_id>$|\.xlsx$", r.rule)}
    assert rules == set(DOWNLOADS), rules ^ set(DOWNLOADS)

    instructor = make.user("ins@example.com", name="指导员", tenant=park.tenant, role="instructor")
    with tenant_scope(park.id):
        ids = make.feature_rows(shared.b, instructor.id)  # B's visit, log entry, staff ledger row…
        pdf = lambda name: FileStorage(io.BytesIO(PDF), name)  # noqa: E731
        mine = GuidanceVisit(enterprise_id=shared.a, visited_on=date(2025, 3, 2), topics=["rules"],
                             created_by_id=instructor.id)
        db.session.add(mine)
        db.session.flush()
        db.session.add(VisitInstructor(visit_id=mine.id, user_id=instructor.id))
        attachments = {
            ("visits.photo", "other"): (dict(visit_id=ids["visit_id"]),
                                        files.store(pdf("乙.pdf"), "visit", ids["visit_id"], kinds={"pdf"})),
            ("visits.photo", "own"): (dict(visit_id=mine.id), files.store(pdf("甲.pdf"), "visit", mine.id, kinds={"pdf"})),
            ("visits.activity_file", ""): (dict(activity_id=ids["activity_id"]),
                                           files.store(pdf("材料.pdf"), "team_activity", ids["activity_id"])),
            ("stations.document", ""): (dict(station_id=ids["station_id"]),
                                        files.store(pdf("制度.pdf"), "station", ids["station_id"])),
            ("stations.log_file", ""): (dict(log_id=ids["log_id"]), files.store(pdf("台账.pdf"), "service_log", ids["log_id"])),
            ("training.file", "signin"): (dict(event_id=shared.event), db.session.get(files.Attachment, shared.sheet)),
            ("training.file", "materials"): (dict(event_id=shared.event),
                                             db.session.get(files.Attachment, shared.materials)),
        }
        db.session.commit()
        urls = {key: f"{park.url}/{path}" for key, path in {
            ("visits.photo", "other"): f"visits/{{visit_id}}/photos/{{id}}",
            ("visits.photo", "own"): f"visits/{{visit_id}}/photos/{{id}}",
            ("visits.activity_file", ""): "visits/team/activities/{activity_id}/files/{id}",
            ("stations.document", ""): "stations/{station_id}/documents/{id}",
            ("stations.log_file", ""): "stations/log/{log_id}/files/{id}",
            ("training.file", "signin"): "training/{event_id}/files/{id}",
            ("training.file", "materials"): "training/{event_id}/files/{id}",
        }.items()}
        urls = {key: url.format(id=attachments[key][1].id, **attachments[key][0]) for key, url in urls.items()}
    expected = {("visits.photo", "other"): 404, ("visits.photo", "own"): 200, ("visits.activity_file", ""): 403,
                ("stations.document", ""): 403, ("stations.log_file", ""): 403, ("training.file", "signin"): 403,
                ("training.file", "materials"): 200}
    got = {key: shared.client.get(url).status_code for key, url in urls.items()}
    assert got == expected
    exports = {"training.export": "training/export.xlsx", "visits.export": "visits/export.xlsx",
               "stations.export_log": "stations/log/export.xlsx"}
    assert {endpoint for endpoint, _kind in expected} | set(exports) == set(DOWNLOADS)
    for endpoint, path in exports.items():
        assert shared.client.get(f"{park.url}/{path}", query_string={"year": Y}).status_code == DOWNLOADS[endpoint]
        assert park.admin.get(f"{park.url}/{path}", query_string={"year": Y}).status_code == 200
    # Staff read them all.
    for key, url in urls.items():
        assert park.admin.get(url).status_code == 200, key


# --- 14. numbers a user expects to be checked -----------------------------------------------------

@pytest.mark.parametrize("raw, stored", [("13912345678", "13912345678"), ("+86 139-1234-5678", "13912345678"),
                                         ("0086 139 1234 5678", "13912345678"), ("", "")])
def test_mobile_normalised_to_eleven_digits(app, raw, stored):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert normalise_mobile(raw) == stored


@pytest.mark.parametrize("raw", ["12345", "027-87654321", "010 12345678", "+852 6123 4567", "1391234567",
                                 "139123456789", "13912345678 ext 12", "手机号"])
def test_not_a_mainland_mobile(app, raw):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(MemberError) as exc:
            normalise_mobile(raw)
    assert exc.value.field == "mobile" and str(exc.value).startswith("Mobile:")


def test_landlines(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert normalise_landline(" 027-8765 4321  转 8 ") == "027-8765 4321 转 8"
        assert normalise_landline("(010) 12345678 ext. 12") == "(010) 12345678 ext. 12"
        for bad in ("13912345678", "12", "call me", "027-87654321; DROP"):
            with pytest.raises(MemberError) as exc:
                normalise_landline(bad)
            assert exc.value.field == "landline" and str(exc.value).startswith("Landline:")


def test_demo_and_factory_mobiles_are_valid(app):
    with app.test_request_context():
        for mobile in ["13800000000", "13900000000"] + [f"1380713{n:04d}" for n in range(1, 13)]:
            assert normalise_mobile(mobile) == mobile


def liaison_of(tenant_id, enterprise_id) -> LiaisonPerson | None:
    with reading(tenant_id):
        return db.session.scalar(sa.select(LiaisonPerson).where(LiaisonPerson.enterprise_id == enterprise_id,
                                                                LiaisonPerson.ended_on.is_(None)))


def test_liaison_form_checks_mobile_and_keeps_a_landline_apart(park, make):
    eid = make.enterprise(park.tenant, name="联络企业", liaison=None)
    url = f"{park.url}/members/{eid}/liaison"
    form = {"name": "李四", "position": "法务经理", "email": "lisi@example.com", "started_on": "2025-01-01"}
    for mobile, message in (("027-87654321", "Mobile: 027-87654321 is not a mainland China mobile number"),
                            ("1391234", "Mobile: 1391234 is not a mainland China mobile number")):
        response = park.admin.post(url, data={**form, "mobile": mobile})
        assert response.status_code == 200 and message in text(response)
    response = park.admin.post(url, data={**form, "mobile": "", "landline": "13912345678"})
    assert response.status_code == 200 and "Landline: 13912345678 is a mobile number" in text(response)
    assert liaison_of(park.id, eid) is None

    response = park.admin.post(url, data={**form, "mobile": "+86 139 1234 5678", "landline": "027-87654321 转 8"})
    assert response.status_code == 302
    person = liaison_of(park.id, eid)
    assert (person.mobile, person.landline) == ("13912345678", "027-87654321 转 8")
    assert "027-87654321 转 8" in text(park.admin.get(f"{park.url}/members/{eid}"))
    assert 'value="027-87654321 转 8"' in text(park.admin.get(url))


def test_new_enterprise_with_a_bad_liaison_mobile_is_not_saved(park):
    data = {"name": "新企业", "credit_code": credit_code_for(8801), "employees": "10", "liaison-name": "王五",
            "liaison-mobile": "88886666"}
    response = park.admin.post(f"{park.url}/members/new", data=data)
    assert response.status_code == 200 and "Mobile: 88886666 is not a mainland China mobile number" in text(response)
    with reading(park.id):
        assert db.session.scalar(sa.select(sa.func.count(Enterprise.id))) == 0


@pytest.fixture
def api(park, client):
    """call(method, tail, json=…) with the park admin's API token."""
    _token, raw = api_tokens.issue(db.session.get(User, park.admin_id), park.tenant, "records")
    db.session.commit()

    def call(method, tail, **kw):
        return client.open(f"/api/v1/tenants/{park.slug}{tail}", method=method,
                           headers={"Authorization": f"Bearer {raw}"}, **kw)
    return call


def test_api_liaison_numbers(park, api):
    body = {"name": "接口企业", "credit_code": credit_code_for(8802),
            "liaison": {"name": "赵六", "mobile": "010-12345678", "landline": "139 1234 5678"}}
    response = api("POST", "/enterprises", json=body)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"liaison.mobile", "liaison.landline"}
    assert fields["liaison.mobile"].startswith("Mobile:") and fields["liaison.landline"].startswith("Landline:")

    body["liaison"] = {"name": "赵六", "mobile": "+86 13912345678", "landline": "010-12345678"}
    created = api("POST", "/enterprises", json=body)
    assert created.status_code == 201
    assert created.get_json()["liaison"] == {"name": "赵六", "position": "", "mobile": "13912345678",
                                                  "landline": "010-12345678", "email": ""}
    eid = created.get_json()["id"]
    error = api("PATCH", f"/enterprises/{eid}", json={"liaison": {"name": "赵六", "mobile": "1234"}})
    assert error.status_code == 422 and set(error.get_json()["error"]["fields"]) == {"liaison.mobile"}
    assert liaison_of(park.id, eid).mobile == "13912345678"
    # A client that does not send the landline (one from before it existed) does not erase it.
    changed = api("PATCH", f"/enterprises/{eid}", json={"liaison": {"name": "赵六", "mobile": "13800138000"}})
    assert changed.status_code == 200
    assert (liaison_of(park.id, eid).mobile, liaison_of(park.id, eid).landline) == ("13800138000", "010-12345678")


# Headcount at most the employees -----------------------------------------------------------------

@pytest.fixture
def staffed(park, make):
    return SimpleNamespace(a=make.enterprise(park.tenant, name="A 二十人企业", employees=20,
                                             credit_code=credit_code_for(8811)),
                           unknown=make.enterprise(park.tenant, name="U 人数未知企业", employees=0,
                                                   credit_code=credit_code_for(8812)))


def event_form(**counts) -> dict:
    data = {"title": "人数检查培训", "kind": "training", "organiser": "base", "organiser_enterprise_id": "0",
            "organiser_name": "", "held_on": f"{Y}-05-10", "hours": "2", "venue": "", "trainer": "", "topics": ""}
    data.update({f"hc-{eid}": str(n) for eid, n in counts.items()})
    return data


def test_training_form_refuses_more_attendees_than_employees(park, staffed):
    s = staffed
    response = park.admin.post(f"{park.url}/training/new", data=event_form(**{str(s.a): 21, str(s.unknown): 500}))
    assert response.status_code == 200
    page = text(response)
    assert "Attended (A 二十人企业): 21 is more than its 20 employees." in page
    assert re.search(rf'id="hc-{s.a}"[^>]*aria-describedby="hc-{s.a}-error"', page.replace('is-invalid"', '"'))
    with reading(park.id):
        assert db.session.scalar(sa.select(sa.func.count(TrainingEvent.id))) == 0
    # All 20, and any number for an enterprise whose employees are not known.
    assert park.admin.post(f"{park.url}/training/new",
                           data=event_form(**{str(s.a): 20, str(s.unknown): 500})).status_code == 302


def test_a_headcount_on_record_is_not_judged_by_todays_employees(park, staffed):
    """A shrank after the event: its recorded headcount stays, and the event can still be saved."""
    event = add_event(park.id, {staffed.a: 30})
    data = as_browser_sends(text(park.admin.get(f"{park.url}/training/{event}/edit")))
    data["title"] = "改标题"
    assert park.admin.post(f"{park.url}/training/{event}/edit", data=data).status_code == 302
    assert attendance_of(park.id, event) == {staffed.a: 30}
    data[f"hc-{staffed.a}"] = "31"
    response = park.admin.post(f"{park.url}/training/{event}/edit", data=data)
    assert response.status_code == 200 and "31 is more than its 20 employees" in text(response)


def test_api_refuses_more_attendees_than_employees(park, staffed, api):
    body = {"title": "接口培训", "held_on": f"{Y}-05-10",
            "attendance": [{"enterprise_id": staffed.unknown, "headcount": 900},
                           {"enterprise_id": staffed.a, "headcount": 25}]}
    response = api("POST", "/trainings", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "attendance[1]": "Attended (A 二十人企业): 25 is more than its 20 employees."}
    body["attendance"][1]["headcount"] = 20
    assert api("POST", "/trainings", json=body).status_code == 201


def test_sign_in_sheet_refuses_more_attendees_than_employees(park, staffed):
    event = add_event(park.id, {})
    wb = Workbook()
    for row in (("企业名称或统一社会信用代码", "人数", "参训人员"), ("U 人数未知企业", 300, ""), ("A 二十人企业", 25, "")):
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    response = park.admin.post(f"{park.url}/training/{event}/sign-in", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(out.getvalue()), "签到表.xlsx")})
    assert response.status_code == 422
    assert re.search(r"<tr><td>3</td><td>B</td><td>Attended \(A 二十人企业\): 25 is more than its 20 employees.</td>",
                     text(response))
    assert attendance_of(park.id, event) == {}


# Survey rates within 0–100 % ----------------------------------------------------------------------

SURVEY = {"employees": "0", "secrets_identified": "2", "patents": "1", "confidentiality_signed": "30",
          "noncompete_signed": "12", "key_posts_tiered": "3", "incidents_suffered": "0", "incidents_caused": "0"}


def test_survey_without_its_own_headcount_uses_the_enterprises(park, make, api):
    eid = make.enterprise(park.tenant, name="调查企业", employees=60)
    url = f"{park.url}/members/{eid}/survey/2025"
    assert park.admin.post(url, data=SURVEY).status_code == 302
    page = text(park.admin.get(f"{park.url}/members/{eid}"))
    assert "30/60* (50%)" in page and "12/60* (20%)" in page
    got = api("GET", f"/enterprises/{eid}/survey/2025").get_json()
    assert (got["employees"], got["headcount"], got["confidentiality_rate"], got["noncompete_rate"]) == (0, 60, 0.5, 0.2)

    # Above the profile's headcount: refused, naming the field, in the form and the API.
    response = park.admin.post(url, data={**SURVEY, "confidentiality_signed": "61"})
    assert response.status_code == 200
    assert "Employees with a confidentiality agreement: 61 is more than the 60 employees." in text(response)
    response = api("PUT", f"/enterprises/{eid}/survey/2025", json={"noncompete_signed": 70})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "noncompete_signed": "Employees with a non-compete agreement: 70 is more than the 60 employees."}
    with reading(park.id):
        assert db.session.scalar(sa.select(SurveyYear.confidentiality_signed)) == 30


def test_survey_counts_need_a_headcount_somewhere(park, make, api):
    eid = make.enterprise(park.tenant, name="无人数企业", employees=0)
    response = park.admin.post(f"{park.url}/members/{eid}/survey/2025", data=SURVEY)
    assert response.status_code == 200
    assert "Employees with a confidentiality agreement: enter the number of employees first" in text(response)
    response = api("PUT", f"/enterprises/{eid}/survey/2025", json={"key_posts_tiered": 1})
    assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == {"key_posts_tiered"}
    # Counts that are not about people need none.
    assert api("PUT", f"/enterprises/{eid}/survey/2025", json={"patents": 4}).status_code == 200


def test_no_rate_above_one_hundred_percent_when_the_profile_shrinks(park, make, api):
    eid = make.enterprise(park.tenant, name="缩编企业", employees=60)
    assert park.admin.post(f"{park.url}/members/{eid}/survey/2025", data=SURVEY).status_code == 302
    with tenant_scope(park.id):
        db.session.get(Enterprise, eid).employees = 20
        db.session.commit()
    got = api("GET", f"/enterprises/{eid}/survey/2025").get_json()
    assert (got["headcount"], got["confidentiality_rate"], got["noncompete_rate"]) == (20, None, 0.6)
    assert "30/20*</td>" in text(park.admin.get(f"{park.url}/members/{eid}"))
