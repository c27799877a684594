"""Guidance visits: recording (instructors, their own visits only), enterprise acknowledgement and
answer, visits per calendar year and coverage, instructor assignment and isolation, the instructor
home, the export, constant SQL, and the instructor-team ledger.

Stations and the service ledger are in test_stations_visits.py.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from saas.auth.models import Membership, User
from saas.auth.services import grant
from saas.extensions import db
from saas.files import Attachment
from saas.tenancy import tenant_scope
from tenants.visits.models import GuidanceVisit, InstructorEnterprise, ProtectionStaff, TeamActivity, VisitInstructor
from tenants.visits.services import coverage

from .test_isolation import build, tenant_rules
from .test_members import EXE, PDF, bulk_enterprises, count, reading, text
from .sql import statements
from .test_stations_visits import sheet_rows

TODAY = date.today()
YEAR = TODAY.year


# --- helpers -------------------------------------------------------------------------------------

@pytest.fixture
def base(make, login_as):
    """Tenant A (English pages) in a district under a city under a province; tenant B elsewhere.

    ins1 and ins2 instruct A, ins3 instructs B; A has two members, B one.
    """
    province = make.bureau("省局", level="province")
    city = make.bureau("市局", level="city", parent=province)
    district = make.bureau("东湖区局", level="district", parent=city)
    elsewhere = make.bureau("江岸区局", level="district", parent=city)
    a = make.tenant(slug="park-a", name="甲园区", default_locale="en", bureau=district)
    b = make.tenant(slug="park-b", name="乙园区", default_locale="en", bureau=elsewhere)
    admin = make.user("admin@example.com", name="园区管理员", tenant=a, role="admin")
    make.user("staff@example.com", name="园区工作人员", tenant=a, role="staff")
    make.user("admin-b@example.com", tenant=b, role="admin")
    ins = {n: make.user(f"ins{n}@example.com", name=f"指导员{n}", tenant=t, role="instructor", bureau=bureau,
                        bureau_role="instructor").id
           for n, t, bureau in ((1, a, district), (2, a, district), (3, b, elsewhere))}
    e1 = make.enterprise(a, name="星辰科技")
    e2 = make.enterprise(a, name="东方制药")
    eb = make.enterprise(b, name="乙园企业")
    return SimpleNamespace(a=a, b=b, province=province, city=city, district=district, elsewhere=elsewhere,
                           admin_id=admin.id, ins=ins, e1=e1, e2=e2, eb=eb, url="/t/park-a/visits",
                           admin=login_as("admin@example.com"), ins1=login_as("ins1@example.com"))


def add_visit(tenant_id, enterprise_id, visited_on, instructors=(), **fields) -> int:
    with tenant_scope(tenant_id):
        visit = GuidanceVisit(enterprise_id=enterprise_id, visited_on=visited_on,
                              topics=fields.pop("topics", ["rules"]),
                              created_by_id=instructors[0] if instructors else None, **fields)
        db.session.add(visit)
        db.session.flush()
        db.session.add_all([VisitInstructor(visit_id=visit.id, user_id=u) for u in instructors])
        db.session.commit()
        return visit.id


def visit_form(enterprise_id, **changes) -> dict:
    data = {"enterprise_id": str(enterprise_id), "visited_on": (TODAY - timedelta(days=3)).isoformat(),
            "mode": "on_site", "topics": ["organisation", "rules"], "findings": "涉密载体台账不完整",
            "recommendations": "按月更新台账", "follow_up_due": (TODAY + timedelta(days=30)).isoformat(),
            "status": "open"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def listed_visits(response) -> list[int]:
    assert response.status_code == 200
    return [int(v) for v in re.findall(r'href="/t/[\w-]+/visits/(\d+)"', text(response))]


def coverage_rows(response) -> dict[str, tuple[int, bool]]:
    """Enterprise name → (visits, highlighted) on the coverage page."""
    assert response.status_code == 200
    rows = re.findall(r'<tr( class="table-warning")?><td><a href="[^"]+">([^<]+)</a></td>'
                      r'<td class="text-end">(\d+)</td>(.*?)</tr>', text(response), re.S)
    out = {}
    for cls, name, n, rest in rows:
        assert bool(cls) == ("Below 2" in rest), name
        out[name] = (int(n), bool(cls))
    return out


# --- 1. recording visits -------------------------------------------------------------------------

def test_instructor_records_a_visit(base):
    form = base.ins1.get(f"{base.url}/new", query_string={"enterprise": base.e2})
    assert form.status_code == 200
    assert re.search(rf'<option selected value="{base.e2}">|<option value="{base.e2}" selected', text(form))
    assert "指导员2" in text(form) and "指导员3" not in text(form)  # co-instructors: assigned to A only
    response = base.ins1.post(f"{base.url}/new", data={
        **visit_form(base.e2, mode="remote", topics=["rules", "measures"], instructor_ids=[str(base.ins[2])]),
        "photo": (io.BytesIO(PDF), "签到表.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    with reading(base.a.id) as s:
        v = s.scalars(sa.select(GuidanceVisit)).one()
        vid = v.id
        assert (v.enterprise_id, v.visited_on, v.mode, v.topics, v.findings, v.recommendations, v.follow_up_due,
                v.status, v.created_by_id, v.acknowledged_at) == \
            (base.e2, TODAY - timedelta(days=3), "remote", ["rules", "measures"], "涉密载体台账不完整", "按月更新台账",
             TODAY + timedelta(days=30), "open", base.ins[1], None)
        assert set(s.scalars(sa.select(VisitInstructor.user_id))) == {base.ins[1], base.ins[2]}
        photo = s.scalars(sa.select(Attachment)).one()
        assert (photo.owner_type, photo.owner_id, photo.filename) == ("visit", vid, "签到表.pdf")
    assert response.headers["Location"].endswith(f"/visits/{vid}")
    page = text(base.admin.get(f"{base.url}/{vid}"))
    for expected in ("东方制药", "指导员1", "指导员2", "Remote", "Rules", "Protective measures", "涉密载体台账不完整", "签到表.pdf"):
        assert expected in page, expected
    assert base.admin.get(f"{base.url}/{vid}/photos/{photo.id}").data == PDF
    # Today is not in the future.
    assert base.ins1.post(f"{base.url}/new", data=visit_form(base.e1, visited_on=TODAY.isoformat())).status_code == 302
    assert count(base.a.id, GuidanceVisit) == 2


def test_visit_rules(base, make):
    new = f"{base.url}/new"

    def refused(data, *messages):
        response = base.ins1.post(new, data=data)
        assert response.status_code == 200, data
        page = text(response)
        assert any(m in page for m in messages), (messages, data)

    refused(visit_form(base.e1, topics=None), "Choose at least one topic")
    refused(visit_form(base.e1, topics=["gossip"]), "not a valid choice", "Choose at least one topic")
    refused(visit_form(base.e1, visited_on=(TODAY + timedelta(days=1)).isoformat()),
            "A visit cannot be recorded before it happens")
    refused(visit_form(base.eb), "Not a valid choice", "Choose a member enterprise")
    # A co-instructor must be an instructor assigned to this tenant (not B's, not A's staff), and the
    # page says why the visit was refused.
    with reading(base.a.id) as s:
        staff_id = s.scalar(sa.select(Membership.user_id).where(Membership.role == "staff"))
    pages = []
    for other in (base.ins[3], staff_id):
        response = base.ins1.post(new, data=visit_form(base.e1, instructor_ids=[str(other)]))
        assert response.status_code == 200
        pages.append(text(response))
    assert count(base.a.id, GuidanceVisit) == 0 and count(base.b.id, GuidanceVisit) == 0
    for page in pages:
        assert "not a valid choice" in page or "Only instructors assigned to this tenant" in page


def test_only_the_visits_instructors_edit_it(base, login_as):
    alone = add_visit(base.a.id, base.e1, date(2025, 3, 1), [base.ins[1]], findings="原始记录")
    together = add_visit(base.a.id, base.e2, date(2025, 3, 2), [base.ins[1], base.ins[2]])
    ins2 = login_as("ins2@example.com")
    assert ins2.get(f"{base.url}/{alone}").status_code == 200
    assert f"{base.url}/{alone}/edit" not in text(ins2.get(f"{base.url}/{alone}"))
    assert ins2.get(f"{base.url}/{alone}/edit").status_code == 403
    assert ins2.post(f"{base.url}/{alone}/edit", data=visit_form(base.e1, findings="篡改")).status_code == 403
    with reading(base.a.id) as s:
        assert s.get(GuidanceVisit, alone).findings == "原始记录"
    # A visit made together: each of its instructors may edit it.
    assert f"{base.url}/{together}/edit" in text(ins2.get(f"{base.url}/{together}"))
    assert ins2.get(f"{base.url}/{together}/edit").status_code == 200
    response = ins2.post(f"{base.url}/{together}/edit", data=visit_form(
        base.e2, visited_on="2025-03-02", findings="补充记录", status="closed", instructor_ids=[str(base.ins[1])]))
    assert response.status_code == 302
    with reading(base.a.id) as s:
        v = s.get(GuidanceVisit, together)
        assert (v.findings, v.status) == ("补充记录", "closed")
        assert set(s.scalars(sa.select(VisitInstructor.user_id).where(VisitInstructor.visit_id == together))) == \
            {base.ins[1], base.ins[2]}
    response = base.ins1.post(f"{base.url}/{alone}/edit", data=visit_form(base.e1, visited_on="2025-03-01",
                                                                          findings="更正记录"))
    assert response.status_code == 302
    with reading(base.a.id) as s:
        assert s.get(GuidanceVisit, alone).findings == "更正记录"


def test_admin_and_staff_read_every_visit_but_record_none(base, login_as):
    first = add_visit(base.a.id, base.e1, date(2025, 3, 1), [base.ins[1]])
    second = add_visit(base.a.id, base.e2, date(2025, 4, 1), [base.ins[2]])
    for client in (base.admin, login_as("staff@example.com")):
        assert sorted(listed_visits(client.get(f"{base.url}/", query_string={"year": 2025}))) == [first, second]
        for vid in (first, second):
            response = client.get(f"{base.url}/{vid}")
            assert response.status_code == 200 and f"{base.url}/{vid}/edit" not in text(response)
            assert client.get(f"{base.url}/{vid}/edit").status_code == 403
            assert client.post(f"{base.url}/{vid}/acknowledge").status_code == 403
        assert client.get(f"{base.url}/new").status_code == 403
        assert client.post(f"{base.url}/new", data=visit_form(base.e1)).status_code == 403
        assert "Record a visit" not in text(client.get(f"{base.url}/", query_string={"year": 2025}))
    assert count(base.a.id, GuidanceVisit) == 2


def test_enterprise_user_sees_acknowledges_and_answers_its_own_visits(base, make, login_as):
    user = make.user("ent@example.com", name="企业用户")
    grant(user, base.a, "enterprise", base.e1)
    db.session.commit()
    user_id = user.id
    own = add_visit(base.a.id, base.e1, date(2025, 3, 1), [base.ins[1]], follow_up_due=date(2025, 4, 1))
    closed = add_visit(base.a.id, base.e1, date(2025, 5, 1), [base.ins[1]], status="closed")
    other = add_visit(base.a.id, base.e2, date(2025, 3, 2), [base.ins[1]])
    with tenant_scope(base.a.id):
        db.session.add(Attachment(owner_type="visit", owner_id=other, filename="x.pdf", stored_name="none.pdf",
                                  content_type="application/pdf", size=1, sha256="0"))
        db.session.commit()
        other_photo = db.session.scalar(sa.select(Attachment.id))
    c = login_as("ent@example.com")
    assert sorted(listed_visits(c.get(f"{base.url}/", query_string={"year": 2025}))) == [own, closed]
    assert listed_visits(c.get(f"{base.url}/", query_string={"year": 2025, "enterprise": base.e2})) == []
    for path in (f"/{other}", f"/{other}/photos/{other_photo}"):
        assert c.get(base.url + path).status_code == 404, path
    for path in (f"/{other}/acknowledge", f"/{other}/answer"):
        assert c.post(base.url + path, data={"rectification": "x"}).status_code == 404, path
    for path in ("/new", f"/{own}/edit", "/coverage", "/export.xlsx", "/team", "/instructors"):
        assert c.get(base.url + path).status_code == 403, path
    with reading(base.a.id) as s:
        assert s.get(GuidanceVisit, other).acknowledged_at is None and s.get(GuidanceVisit, other).rectification == ""

    page = text(c.get(f"{base.url}/{own}"))
    assert "Acknowledge this visit" in page and "not yet" in page
    before = datetime.utcnow().replace(microsecond=0)
    assert c.post(f"{base.url}/{own}/acknowledge").status_code == 302
    with reading(base.a.id) as s:
        v = s.get(GuidanceVisit, own)
        acknowledged_at = v.acknowledged_at
        assert v.acknowledged_by_id == user_id and v.status == "open"
        assert before <= acknowledged_at <= datetime.utcnow() + timedelta(seconds=1)
    page = text(c.get(f"{base.url}/{own}"))
    assert "Acknowledge this visit" not in page and "not yet" not in page
    assert "Acknowledged" in text(base.admin.get(f"{base.url}/", query_string={"year": 2025}))

    # An empty answer is refused; a real one records the rectification and marks the visit rectified.
    response = c.post(f"{base.url}/{own}/answer", data={"rectification": "  "}, follow_redirects=True)
    assert "Describe the rectification" in text(response)
    with reading(base.a.id) as s:
        assert (s.get(GuidanceVisit, own).status, s.get(GuidanceVisit, own).rectification) == ("open", "")
    response = c.post(f"{base.url}/{own}/answer", data={"rectification": "已指定专人管理涉密载体"})
    assert response.status_code == 302
    with reading(base.a.id) as s:
        v = s.get(GuidanceVisit, own)
        assert (v.status, v.rectification, v.acknowledged_by_id, v.acknowledged_at) == \
            ("rectified", "已指定专人管理涉密载体", user_id, acknowledged_at)
    assert "已指定专人管理涉密载体" in text(base.admin.get(f"{base.url}/{own}"))
    # Answering a closed visit keeps it closed.
    c.post(f"{base.url}/{closed}/answer", data={"rectification": "补充说明"})
    with reading(base.a.id) as s:
        assert s.get(GuidanceVisit, closed).status == "closed"


# --- 2. visits per calendar year -----------------------------------------------------------------

def test_visits_count_per_calendar_year(base, make, app):
    e3 = make.enterprise(base.a, name="蓝海软件")
    # A member from January to June 2025: active on neither year's last day (DOMAIN "active members").
    gone = make.enterprise(base.a, name="已退出企业", status="withdrawn", withdrawal_reason="迁出",
                           joined_on=date(2025, 1, 1), withdrawn_on=date(2025, 6, 30))
    eve = add_visit(base.a.id, base.e1, date(2024, 12, 31), [base.ins[1]])
    new_year = add_visit(base.a.id, base.e1, date(2025, 1, 1), [base.ins[1]])
    add_visit(base.a.id, base.e1, date(2025, 6, 1), [base.ins[1]])
    add_visit(base.a.id, base.e2, date(2025, 12, 31), [base.ins[1]])
    add_visit(base.a.id, base.e2, date(2026, 1, 1), [base.ins[1]])
    add_visit(base.a.id, gone, date(2025, 2, 1), [base.ins[1]])
    add_visit(base.a.id, gone, date(2025, 3, 1), [base.ins[1]])
    add_visit(base.b.id, base.eb, date(2025, 3, 1), [base.ins[3]])

    with app.app_context(), tenant_scope(base.a.id):
        c2024, c2025 = coverage(2024), coverage(2025)
    assert (c2025.active, c2025.visited, c2025.enough) == (3, 2, 1)
    assert c2025.ratio == pytest.approx(1 / 3)
    assert {name: n for _id, name, n in c2025.rows} == {"星辰科技": 2, "东方制药": 1, "蓝海软件": 0}
    assert (c2024.active, c2024.visited, c2024.enough, c2024.ratio) == (3, 1, 0, 0)
    assert {name: n for _id, name, n in c2024.rows} == {"星辰科技": 1, "东方制药": 0, "蓝海软件": 0}

    response = base.admin.get(f"{base.url}/coverage", query_string={"year": 2025})
    assert re.search(r'id="coverage-ratio">33%<', text(response))
    assert coverage_rows(response) == {"星辰科技": (2, False), "东方制药": (1, True), "蓝海软件": (0, True)}
    assert f"enterprise={e3}" in text(response) and "已退出企业" not in text(response)
    response = base.admin.get(f"{base.url}/coverage", query_string={"year": 2024})
    assert re.search(r'id="coverage-ratio">0%<', text(response))
    assert coverage_rows(response) == {"星辰科技": (1, True), "东方制药": (0, True), "蓝海软件": (0, True)}
    # The list splits the years the same way.
    assert listed_visits(base.admin.get(f"{base.url}/", query_string={"year": 2024})) == [eve]
    assert new_year in listed_visits(base.admin.get(f"{base.url}/", query_string={"year": 2025}))
    assert len(listed_visits(base.admin.get(f"{base.url}/", query_string={"year": 2025}))) == 5
    assert len(listed_visits(base.admin.get(f"{base.url}/",
                                            query_string={"year": 2025, "enterprise": base.e1}))) == 2
    # No active member: no ratio, not a division by zero.
    empty = make.tenant(slug="empty", default_locale="en")
    make.user("admin-empty@example.com", tenant=empty, role="admin")
    with app.app_context(), tenant_scope(empty.id):
        assert coverage(2025).ratio is None


# --- 3. assignments and isolation ----------------------------------------------------------------

def test_instructor_of_a_reaches_nothing_of_b(app, base, make):
    with tenant_scope(base.b.id):
        ids = make.feature_rows(base.eb, base.ins[3])
        db.session.add(Attachment(owner_type="visit", owner_id=ids["visit_id"], filename="x.pdf",
                                  stored_name="none.pdf", content_type="application/pdf", size=1, sha256="0"))
        db.session.commit()
        ids.update(attachment_id=db.session.scalar(sa.select(Attachment.id)), user_id=base.ins[3],
                   enterprise_id=base.eb, year=2025)
    rules = [r for r in tenant_rules(app)
             if r.rule.startswith(("/t/<tenant_slug>/visits", "/t/<tenant_slug>/stations"))]
    assert len(rules) >= 20
    for rule in rules:
        for method in sorted(rule.methods & {"GET", "POST"}):
            url = build(rule, base.b.slug, ids)
            assert base.ins1.open(url, method=method, data={"rectification": "x"}).status_code == 404, (method, url)
    assert base.ins1.get("/t/park-b/").status_code == 404
    # Nor through tenant A's URLs.
    assert base.ins1.get(f"{base.url}/{ids['visit_id']}").status_code == 404
    assert base.ins1.get(f"{base.url}/{ids['visit_id']}/edit").status_code == 404
    with reading(base.b.id) as s:
        assert s.scalar(sa.select(sa.func.count(GuidanceVisit.id))) == 1
        assert s.get(GuidanceVisit, ids["visit_id"]).acknowledged_at is None


def test_unassigning_ends_access_at_once(base, login_as):
    ins2 = login_as("ins2@example.com")
    vid = add_visit(base.a.id, base.e1, date(2025, 3, 1), [base.ins[2]])
    base.admin.post(f"{base.url}/instructors/{base.ins[2]}/enterprises", data={"enterprise": [str(base.e1)]})
    assert count(base.a.id, InstructorEnterprise) == 1
    assert ins2.get(f"{base.url}/").status_code == 200
    page = text(base.admin.get(f"{base.url}/instructors"))
    assert "指导员1" in page and "指导员2" in page and f"/instructors/{base.ins[2]}/remove" in page

    confirm = base.admin.get(f"{base.url}/instructors/{base.ins[2]}/remove")
    assert confirm.status_code == 200 and "指导员2" in text(confirm)
    assert ins2.get(f"{base.url}/").status_code == 200  # GET only asks
    response = base.admin.post(f"{base.url}/instructors/{base.ins[2]}/remove")
    assert response.status_code == 302 and response.headers["Location"].endswith("/visits/instructors")
    for path in ("/", "/new", f"/{vid}", f"/{vid}/edit", "/team"):
        assert ins2.get(base.url + path).status_code == 404, path
    assert ins2.get("/t/park-a/").status_code == 404
    assert "/t/park-a/" not in text(ins2.get("/instructor/"))
    with reading(base.a.id) as s:
        assert s.scalar(sa.select(Membership).where(Membership.user_id == base.ins[2])) is None
        assert s.scalar(sa.select(sa.func.count(InstructorEnterprise.id))) == 0
        # Their visits stay on record.
        assert s.scalar(sa.select(VisitInstructor.user_id).where(VisitInstructor.visit_id == vid)) == base.ins[2]
    assert "指导员2" in text(base.admin.get(f"{base.url}/{vid}"))
    # Only instructors are unassigned this way; the other instructor keeps access.
    assert base.admin.post(f"{base.url}/instructors/{base.admin_id}/remove").status_code == 404
    assert base.ins1.get(f"{base.url}/").status_code == 200
    assert base.ins1.get(f"{base.url}/instructors").status_code == 403


def test_a_former_instructor_stays_on_the_visits_they_made(base, login_as):
    together = add_visit(base.a.id, base.e1, date(2025, 3, 1), [base.ins[1], base.ins[2]])
    assert base.admin.post(f"{base.url}/instructors/{base.ins[2]}/remove").status_code == 302
    # The co-instructor edits the visit; the former instructor is no longer offered on the form,
    # so the browser sends only what the form shows.
    form = base.ins1.get(f"{base.url}/{together}/edit")
    assert form.status_code == 200
    response = base.ins1.post(f"{base.url}/{together}/edit", data=visit_form(base.e1, visited_on="2025-03-01",
                                                                             findings="补充记录"))
    assert response.status_code == 302
    with reading(base.a.id) as s:
        assert s.get(GuidanceVisit, together).findings == "补充记录"
        assert set(s.scalars(sa.select(VisitInstructor.user_id).where(VisitInstructor.visit_id == together))) == \
            {base.ins[1], base.ins[2]}


def test_assigning_never_changes_an_existing_members_role(base, make, login_as):
    dual = make.user("dual@example.com", name="兼任指导员", tenant=base.a, role="staff", bureau=base.district,
                     bureau_role="instructor").id
    make.user("rev@example.com", bureau=base.district, bureau_role="reviewer")
    reviewer = login_as("rev@example.com")
    reviewer.post(f"{base.url}/instructors", data={"user_id": str(dual)})
    with reading(base.a.id) as s:
        assert s.scalar(sa.select(Membership.role).where(Membership.user_id == dual)) == "staff"


def _options(response, name="user_id") -> dict[int, str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', text(response), re.S)
    return {int(v): label for v, label in re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>',
                                                     select.group(1))} if select else {}


def test_reviewer_assigns_instructors_of_the_bureau_line(base, make, login_as):
    near = make.user("near@example.com", name="区局指导员", bureau=base.district, bureau_role="instructor").id
    above = make.user("above@example.com", name="市局指导员", bureau=base.city, bureau_role="instructor").id
    top = make.user("top@example.com", name="省局指导员", bureau=base.province, bureau_role="instructor").id
    sideways = make.user("side@example.com", name="邻区指导员", bureau=base.elsewhere, bureau_role="instructor").id
    retired = make.user("old@example.com", name="停用指导员", bureau=base.district, bureau_role="instructor")
    retired.active = False
    db.session.commit()
    colleague = make.user("colleague@example.com", name="区局审核员", bureau=base.district, bureau_role="reviewer").id
    reviewer = login_as("colleague@example.com")

    page = reviewer.get(f"{base.url}/instructors")
    assert page.status_code == 200
    candidates = _options(page)
    assert set(candidates) == {near, above, top}, candidates  # ins1/ins2 are already assigned
    assert sideways not in candidates and colleague not in candidates
    # Another district's instructor cannot be assigned by forging the form.
    response = reviewer.post(f"{base.url}/instructors", data={"user_id": str(sideways)})
    assert response.status_code == 200
    with reading(base.a.id) as s:
        assert s.scalar(sa.select(Membership).where(Membership.user_id == sideways)) is None
    assert login_as("side@example.com").get(f"{base.url}/").status_code == 404

    response = reviewer.post(f"{base.url}/instructors", data={"user_id": str(above)})
    assert response.status_code == 302
    with reading(base.a.id) as s:
        assert s.scalar(sa.select(Membership.role).where(Membership.user_id == above)) == "instructor"
    assigned = login_as("above@example.com")
    assert assigned.get(f"{base.url}/").status_code == 200
    assert assigned.post(f"{base.url}/new", data=visit_form(base.e1)).status_code == 302
    assert above not in _options(reviewer.get(f"{base.url}/instructors"))
    # The reviewer itself records nothing; a reviewer of another district does not reach the tenant.
    assert reviewer.get(f"{base.url}/new").status_code == 403
    make.user("rev-b@example.com", bureau=base.elsewhere, bureau_role="reviewer")
    outsider = login_as("rev-b@example.com")
    assert outsider.get(f"{base.url}/instructors").status_code == 404
    assert outsider.post(f"{base.url}/instructors", data={"user_id": str(sideways)}).status_code == 404


def _home(client) -> SimpleNamespace:
    response = client.get("/instructor/")
    assert response.status_code == 200
    page = text(response)
    return SimpleNamespace(
        tenants=re.findall(r'href="/t/([\w-]+)/visits/"', page),
        due=[(slug, int(e)) for slug, e in re.findall(r'href="/t/([\w-]+)/visits/new\?enterprise=(\d+)"', page)],
        follow_ups=[(slug, int(v)) for slug, v in re.findall(r'href="/t/([\w-]+)/visits/(\d+)"',
                                                             page.partition('id="follow-ups"')[2].partition("</div>")[0])])


def test_enterprise_assignment_limits_the_due_list(base, make, login_as):
    e3 = make.enterprise(base.a, name="蓝海软件")
    assert sorted(_home(base.ins1).due) == sorted([("park-a", base.e1), ("park-a", base.e2), ("park-a", e3)])
    url = f"{base.url}/instructors/{base.ins[1]}/enterprises"
    form = base.admin.get(url)
    assert form.status_code == 200 and "星辰科技" in text(form)
    response = base.admin.post(url, data={"enterprise": [str(base.e1), str(e3), str(base.eb), "x"]})
    assert response.status_code == 302
    with reading(base.a.id) as s:
        assert set(s.scalars(sa.select(InstructorEnterprise.enterprise_id))) == {base.e1, e3}
    assert count(base.b.id, InstructorEnterprise) == 0
    assert "2 assigned" in text(base.admin.get(f"{base.url}/instructors"))
    assert sorted(_home(base.ins1).due) == sorted([("park-a", base.e1), ("park-a", e3)])
    # The other instructor still looks after every member.
    ins2 = login_as("ins2@example.com")
    assert len(_home(ins2).due) == 3
    # None chosen: all members again.
    assert base.admin.post(url, data={}).status_code == 302
    assert count(base.a.id, InstructorEnterprise) == 0
    assert len(_home(base.ins1).due) == 3


def test_instructor_home(base, make, login_as, client):
    c = make.tenant(slug="park-c", name="丙园区", default_locale="en", bureau=base.district)
    d = make.tenant(slug="park-d", name="丁园区", bureau=base.district, status="suspended")
    ins1 = db.session.get(User, base.ins[1])
    grant(ins1, c, "instructor")
    grant(ins1, d, "instructor")
    db.session.commit()
    ec = make.enterprise(c, name="丙园企业")
    ed = make.enterprise(d, name="丁园企业")
    e3 = make.enterprise(base.a, name="蓝海软件")
    make.enterprise(base.a, name="已退出企业", status="withdrawn", withdrawal_reason="迁出")
    jan1 = date(YEAR, 1, 1)
    # e1 has its two visits this year; e2 one this year and one last year; e3 none.
    add_visit(base.a.id, base.e1, jan1, [base.ins[2]], status="closed")
    add_visit(base.a.id, base.e1, jan1, [base.ins[2]], status="closed")
    add_visit(base.a.id, base.e2, date(YEAR - 1, 12, 31), [base.ins[1]], status="closed")
    later = add_visit(base.a.id, base.e2, jan1, [base.ins[1]], follow_up_due=TODAY + timedelta(days=20))
    sooner = add_visit(base.a.id, e3, date(YEAR - 1, 6, 1), [base.ins[1]], follow_up_due=TODAY - timedelta(days=5))
    undated = add_visit(c.id, ec, date(YEAR - 1, 6, 2), [base.ins[1]])
    rectified = add_visit(base.a.id, e3, date(YEAR - 1, 6, 3), [base.ins[1]], status="rectified",
                          follow_up_due=TODAY - timedelta(days=9))
    add_visit(base.a.id, e3, date(YEAR - 1, 6, 4), [base.ins[2]], follow_up_due=TODAY - timedelta(days=9))
    # Tenant B: ins1 is listed on an old open visit there, but is not assigned to B.
    add_visit(base.b.id, base.eb, date(YEAR - 1, 6, 5), [base.ins[1], base.ins[3]], follow_up_due=TODAY)
    add_visit(d.id, ed, date(YEAR - 1, 6, 6), [base.ins[1]], follow_up_due=TODAY)

    home = _home(base.ins1)
    assert sorted(home.tenants) == ["park-a", "park-c"]
    assert sorted(home.due) == sorted([("park-a", base.e2), ("park-a", e3), ("park-c", ec)])
    assert home.follow_ups == [("park-a", sooner), ("park-a", later), ("park-c", undated)]
    page = text(base.ins1.get("/instructor/"))
    assert "乙园" not in page and "丁园" not in page and "星辰科技" not in page and "已退出企业" not in page

    def section(name):
        part = page.partition(f'id="{name}"')[2].partition("</div>")[0]
        return sorted((slug, int(v)) for slug, v in re.findall(r'href="/t/([\w-]+)/visits/(\d+)"', part))

    # What waits for the instructor: the rectification to check (their own, in their tenants) and,
    # with the follow-up past its day, the badge's count; what waits for the enterprises.
    assert section("to-check") == [("park-a", rectified)]
    assert section("unacknowledged") == sorted([("park-a", later), ("park-a", sooner), ("park-a", rectified),
                                                ("park-c", undated)])
    assert re.search(r'pending-badge" data-pending="2"', page)
    # Each link leads somewhere the instructor may go.
    assert base.ins1.get(f"/t/park-c/visits/new?enterprise={ec}").status_code == 200
    assert base.ins1.get(f"/t/park-a/visits/{sooner}").status_code == 200
    # An instructor with no assignment sees an empty home; the home needs a login.
    make.user("loner@example.com", bureau=base.district, bureau_role="instructor")
    alone = _home(login_as("loner@example.com"))
    assert (alone.tenants, alone.due, alone.follow_ups) == ([], [], [])
    response = client.get("/instructor/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- 4. export -----------------------------------------------------------------------------------

def test_visits_export(base, make):
    make.enterprise(base.a, name="蓝海软件")
    add_visit(base.a.id, base.e1, date(2024, 12, 31), [base.ins[1]], findings="去年的发现")
    add_visit(base.a.id, base.e1, date(2025, 1, 1), [base.ins[1], base.ins[2]], topics=["rules", "training"],
              findings="=HYPERLINK(\"http://evil.example.com\",\"点我\")", recommendations="建立台账", mode="remote",
              follow_up_due=date(2025, 2, 1))
    add_visit(base.a.id, base.e1, date(2025, 5, 1), [base.ins[2]], findings="第二次", status="closed")
    add_visit(base.a.id, base.e2, date(2025, 12, 31), [base.ins[1]], findings="年末")
    response = base.admin.get(f"{base.url}/export.xlsx", query_string={"year": 2025})
    counts = sheet_rows(response, 0)
    assert "甲园区" in counts[0][0] and "2025" in counts[0][0]
    assert {r[0]: (r[1], r[2]) for r in counts[2:]} == {"星辰科技": (2, "yes"), "东方制药": (1, "no"), "蓝海软件": (0, "no")}
    visits = sheet_rows(response, 1)
    assert visits[0][:3] == ("Date", "Enterprise", "Instructors")
    rows = visits[1:]
    assert [(r[0].date(), r[1]) for r in rows] == [(date(2025, 1, 1), "星辰科技"), (date(2025, 5, 1), "星辰科技"),
                                                   (date(2025, 12, 31), "东方制药")]
    first = rows[0]
    assert set(first[2].split("、")) == {"指导员1", "指导员2"}
    assert (first[3], set(first[4].split("、")), first[6], first[8]) == \
        ("Remote", {"Rules", "Training"}, "建立台账", "Open")
    assert first[7].date() == date(2025, 2, 1)
    assert "去年的发现" not in str(visits)
    assert sheet_rows(base.ins1.get(f"{base.url}/export.xlsx", query_string={"year": 2024}), 1)[1][1] == "星辰科技"
    # Text that looks like a formula is written as text, never as a formula.
    wb = load_workbook(io.BytesIO(response.data))
    formulas = [(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == [], formulas


# --- 5. constant SQL -----------------------------------------------------------------------------

def test_visit_list_and_coverage_sql_do_not_grow(base, make):
    enterprises = [base.e1, base.e2] + [make.enterprise(base.a) for _ in range(3)]

    def bulk(n, start):
        with tenant_scope(base.a.id):
            visits = [GuidanceVisit(enterprise_id=enterprises[i % 5],
                                    visited_on=date(2025, 1, 1) + timedelta(days=i % 300),
                                    topics=["rules", "measures"], status="open" if i % 2 else "closed",
                                    follow_up_due=date(2025, 1, 1) if i % 3 == 0 else None,
                                    created_by_id=base.ins[1]) for i in range(start, start + n)]
            db.session.add_all(visits)
            db.session.flush()
            db.session.add_all([VisitInstructor(visit_id=v.id, user_id=base.ins[1]) for v in visits] +
                               [VisitInstructor(visit_id=v.id, user_id=base.ins[2]) for v in visits[::2]])
            db.session.commit()

    bulk(3, 0)
    pages = {"list": (f"{base.url}/", {"year": 2025}), "coverage": (f"{base.url}/coverage", {"year": 2025})}
    small = {}
    for name, (url, args) in pages.items():
        base.admin.get(url, query_string=args)  # warm-up
        with statements() as seen:
            assert base.admin.get(url, query_string=args).status_code == 200
        small[name] = len(seen)
    # The instructor's filtered list ("only mine"), measured on its own: an instructor's pages
    # also read the pending count of the top bar's badge (tests/test_workbench.py).
    mine_args = {"year": 2025, "mine": "1", "status": "open"}
    base.ins1.get(f"{base.url}/", query_string=mine_args)  # warm-up
    with statements() as seen:
        assert base.ins1.get(f"{base.url}/", query_string=mine_args).status_code == 200
    small["mine"] = len(seen)
    bulk(150, 1000)
    bulk_enterprises(base.a.id, 200)
    with statements() as large:
        response = base.admin.get(f"{base.url}/", query_string={"year": 2025})
    assert len(listed_visits(response)) == 50 and "153 in all" in text(response)
    assert text(response).count("指导员2") >= 25
    assert len(large) == small["list"], large
    with statements() as large:
        response = base.admin.get(f"{base.url}/coverage", query_string={"year": 2025})
    assert len(coverage_rows(response)) == 205
    assert len(large) == small["coverage"], large
    # The instructor's filtered list ("only mine") stays constant too.
    base.ins1.get(f"{base.url}/", query_string={"year": 2025, "mine": "1"})
    with statements() as mine:
        response = base.ins1.get(f"{base.url}/", query_string=mine_args)
    assert len(listed_visits(response)) == 50
    assert len(mine) == small["mine"], mine


# --- 6. the instructor-team ledger ---------------------------------------------------------------

def test_team_ledger(base, make, login_as, app):
    staff = login_as("staff@example.com")
    team = f"{base.url}/team"
    assert "No protection staff recorded" in text(staff.get(team))
    response = staff.post(f"{team}/staff/new", data={"enterprise_id": str(base.e1), "name": "保密专员王", "position": "法务",
                                                    "employment": "full_time", "trained": "y", "mobile": "13800000000"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/visits/team")
    with reading(base.a.id) as s:
        row = s.scalars(sa.select(ProtectionStaff)).one()
        row_id = row.id
        assert (row.enterprise_id, row.name, row.position, row.employment, row.trained, row.mobile) == \
            (base.e1, "保密专员王", "法务", "full_time", True, "13800000000")
    assert staff.post(f"{team}/staff/new", data={"enterprise_id": str(base.eb), "name": "x"}).status_code == 200
    assert staff.post(f"{team}/staff/new", data={"enterprise_id": str(base.e1), "name": ""}).status_code == 200
    assert count(base.a.id, ProtectionStaff) == 1

    activity = {"kind": "training", "title": "指导员实务培训", "held_on": "2025-04-18", "hours": "3.5",
                "participants": "26", "description": "案例研讨"}
    response = staff.post(f"{team}/activities/new", data={**activity, "file": (io.BytesIO(EXE), "课件.pdf")},
                          content_type="multipart/form-data")
    assert response.status_code == 200 and "not accepted" in text(response)
    assert count(base.a.id, TeamActivity) == 0
    response = staff.post(f"{team}/activities/new", data={**activity, "file": (io.BytesIO(PDF), "课件.pdf")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    with reading(base.a.id) as s:
        a = s.scalars(sa.select(TeamActivity)).one()
        activity_id = a.id
        assert (a.kind, a.title, a.held_on, a.hours, a.participants, a.description) == \
            ("training", "指导员实务培训", date(2025, 4, 18), 3.5, 26, "案例研讨")
        f = s.scalars(sa.select(Attachment)).one()
        assert (f.owner_type, f.owner_id, f.filename) == ("team_activity", activity_id, "课件.pdf")
        stored = f.stored_name
    assert (Path(app.config["UPLOAD_DIR"]) / stored).read_bytes() == PDF
    assert staff.post(f"{team}/activities/new", data={"kind": "material", "title": "保护指引",
                                                      "held_on": "2025-06-01"}).status_code == 302
    assert staff.post(f"{team}/activities/new", data={"kind": "party", "title": "x",
                                                      "held_on": "2025-06-01"}).status_code == 200
    assert count(base.a.id, TeamActivity) == 2
    # The admin edits.
    assert base.admin.post(f"{team}/staff/{row_id}", data={"enterprise_id": str(base.e2), "name": "保密专员王",
                                                           "employment": "part_time"}).status_code == 302
    with reading(base.a.id) as s:
        row = s.get(ProtectionStaff, row_id)
        assert (row.enterprise_id, row.employment, row.trained) == (base.e2, "part_time", False)

    make.user("rev@example.com", bureau=base.district, bureau_role="reviewer")
    for client in (login_as("rev@example.com"), base.ins1):
        page = client.get(team)
        assert page.status_code == 200
        for expected in ("保密专员王", "东方制药", "指导员实务培训", "保护指引"):
            assert expected in text(page), expected
        assert f"{team}/staff/{row_id}" not in text(page) and f"{team}/activities/new" not in text(page)
        assert client.get(f"{team}/activities/{activity_id}/files/{f.id}").data == PDF
        for path in ("/staff/new", f"/staff/{row_id}", "/activities/new", f"/activities/{activity_id}"):
            assert client.get(team + path).status_code == 403, path
            assert client.post(team + path, data={"name": "x", "title": "x", "kind": "training",
                                                  "held_on": "2025-01-01"}).status_code == 403, path
    assert count(base.a.id, ProtectionStaff) == 1 and count(base.a.id, TeamActivity) == 2
