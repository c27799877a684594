"""Member enterprises: credit codes, the roster list (search, filters, counts, pages, constant SQL),
the enterprise page and what it keeps, enterprise users, invitations and the audit log.

Import and export are in test_member_import.py.
"""

from __future__ import annotations

import io
import os
import re
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.audit import AuditEvent
from saas.auth.models import Membership, User
from saas.auth.services import grant
from saas.extensions import db
from saas.files import Attachment
from saas.mail import SentMail
from saas.tenancy import tenant_scope
from tenants.members.checklists import CORE_ITEMS, ITEMS
from tenants.members.models import ChecklistItem, Enterprise, LiaisonPerson, SurveyYear, Vulnerability
from tenants.members.services import MemberError, normalise_credit_code

from .factories import credit_code_for
from .sql import statements

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4


# --- helpers -------------------------------------------------------------------------------------

@pytest.fixture
def park(make, login_as):
    """A tenant (English pages, so messages can be asserted) with an admin already logged in."""
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en")
    admin = make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    return SimpleNamespace(tenant=tenant, id=tenant.id, slug=tenant.slug, admin_id=admin.id,
                           admin=login_as("admin@example.com"), url=f"/t/{tenant.slug}/members")


@contextmanager
def reading(tenant_id):
    """Fresh reads of what the requests (own app contexts, own sessions) committed."""
    db.session.rollback()
    with tenant_scope(tenant_id):
        yield db.session


def count(tenant_id, model, *where) -> int:
    with reading(tenant_id) as s:
        return s.scalar(sa.select(sa.func.count(model.id)).where(*where))


def text(response) -> str:
    return response.get_data(as_text=True)


def roster_names(response) -> list[str]:
    """Enterprise names of the roster table, in order."""
    assert response.status_code == 200
    return re.findall(r'<a href="/t/[^/]+/members/\d+">([^<]+)</a>', text(response))


def profile(**changes) -> dict:
    """A full enterprise form (what the browser sends), with `changes`; None drops a field."""
    data = {"name": "星辰科技有限公司", "credit_code": credit_code_for(501), "industry": "软件和信息技术服务业",
            "employees": "50", "joined_on": "2024-01-01"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def bulk_enterprises(tenant_id, n, start=1000, **fields):
    """Many enterprises with a current liaison each, fast (no HTTP, one flush)."""
    with tenant_scope(tenant_id):
        rows = []
        for i in range(start, start + n):
            e = Enterprise(name=f"批量企业{i:05d}", credit_code=credit_code_for(i), employees=i % 500,
                           joined_on=date(2024, 1, 1), status="liaison", **fields)
            e.liaisons.append(LiaisonPerson(name=f"联络员{i}", mobile="13800000000", started_on=date(2024, 1, 1)))
            rows.append(e)
        db.session.add_all(rows)
        db.session.commit()


def enterprise_user(make, login_as, tenant, enterprise_id, email="ent@example.com"):
    user = make.user(email, name="企业用户")
    grant(user, tenant, "enterprise", enterprise_id)
    db.session.commit()
    return user.id, login_as(email)


def upload(client, url, data: bytes, filename: str, label: str = ""):
    return client.post(url, data={"file": (io.BytesIO(data), filename), "label": label},
                       content_type="multipart/form-data")


# --- 1. credit codes -----------------------------------------------------------------------------

def test_normalise_credit_code(app):
    code = credit_code_for(7)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert normalise_credit_code(code) == code
        assert normalise_credit_code(" 9111 0000 6000 3734 1l ") == "91110000600037341L"
        with pytest.raises(MemberError, match="check character") as wrong:
            normalise_credit_code(wrong_check(code))
        assert wrong.value.field == "credit_code"
        for bad_length in (code[:-1], code + "1", ""):
            with pytest.raises(MemberError, match="18 characters"):
                normalise_credit_code(bad_length)
        with pytest.raises(MemberError, match="not a valid"):
            normalise_credit_code("91110000600037341I")  # I is not in the code alphabet


def test_credit_code_fast_path_agrees_with_stdnum(app):
    import random

    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    rng = random.Random(32100)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    valid = [credit_code_for(n) for n in range(300)]
    samples = valid + [wrong_check(c) for c in valid[:100]]
    samples += [c.lower() for c in valid[:20]] + [f" {c[:6]}-{c[6:]} " for c in valid[:20]]
    samples += ["".join(rng.choice(alphabet) for _ in range(18)) for _ in range(300)]  # about 1 in 31 valid
    samples += [c[:9] + rng.choice("IOSVZ") + c[10:] for c in valid[:20]]  # letters outside the alphabet
    samples += [c.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"}) for c in valid[:20]]  # full width
    samples += [rng.choice(alphabet[10:]) + c[1:] for c in valid[:20]]  # a letter among the first eight
    with app.test_request_context():
        for raw in samples:
            try:
                expected = uscc.validate(raw)
            except ValidationError:
                expected = None
            try:
                got = normalise_credit_code(raw)
            except MemberError:
                got = None
            assert got == expected, raw
    valid_count = sum(1 for raw in samples if uscc.is_valid(raw))
    assert valid_count >= 300 and len(samples) - valid_count >= 300  # both kinds well represented


def test_form_refuses_a_bad_code_and_creates_nothing(park):
    response = park.admin.post(f"{park.url}/new", data=profile(credit_code=wrong_check(credit_code_for(501))))
    assert response.status_code == 200
    assert "check character of this credit code is wrong" in text(response)
    assert "is-invalid" in text(response)
    response = park.admin.post(f"{park.url}/new", data=profile(credit_code="9111000060003734"))
    assert response.status_code == 200 and "18 characters" in text(response)
    assert count(park.id, Enterprise) == 0


def test_form_creates_with_normalised_code_and_liaison(park):
    code = credit_code_for(502)
    typed = " ".join([code[:6], code[6:12], code[12:]]).lower()
    liaison = {"liaison-name": "王小明", "liaison-mobile": "13900000001", "liaison-email": "wang@example.com",
               "liaison-started_on": "2024-02-01"}
    response = park.admin.post(f"{park.url}/new", data=profile(credit_code=typed, high_tech="y", **liaison))
    assert response.status_code == 302
    with reading(park.id) as s:
        e = s.scalars(sa.select(Enterprise)).one()
        assert response.headers["Location"].endswith(f"/members/{e.id}")
        assert (e.name, e.credit_code, e.employees, e.joined_on, e.high_tech, e.specialised, e.status) == \
            ("星辰科技有限公司", code, 50, date(2024, 1, 1), True, False, "liaison")
        person = e.current_liaison
        assert (person.name, person.mobile, person.email, person.started_on, person.ended_on) == \
            ("王小明", "13900000001", "wang@example.com", date(2024, 2, 1), None)


def test_duplicate_code_refused_in_tenant_allowed_in_another(park, make, login_as):
    code = credit_code_for(503)
    make.enterprise(park.tenant, name="已有企业", credit_code=code)
    response = park.admin.post(f"{park.url}/new", data=profile(name="另一家企业", credit_code=code.lower()))
    assert response.status_code == 200
    assert "already in the roster" in text(response) and "已有企业" in text(response)
    assert count(park.id, Enterprise) == 1

    other = make.tenant(slug="other", default_locale="en")
    make.user("admin-b@example.com", tenant=other, role="admin")
    response = login_as("admin-b@example.com").post("/t/other/members/new",
                                                    data=profile(name="另一家企业", credit_code=code))
    assert response.status_code == 302
    assert count(other.id, Enterprise, Enterprise.credit_code == code) == 1
    assert count(park.id, Enterprise) == 1


def test_edit_refuses_the_code_of_another_enterprise(park, make):
    first = make.enterprise(park.tenant, credit_code=credit_code_for(504))
    second = make.enterprise(park.tenant, credit_code=credit_code_for(505))
    response = park.admin.post(f"{park.url}/{second}/edit", data=profile(credit_code=credit_code_for(504)))
    assert response.status_code == 200 and "already in the roster" in text(response)
    with reading(park.id) as s:
        assert s.get(Enterprise, second).credit_code == credit_code_for(505)
        assert s.get(Enterprise, first).credit_code == credit_code_for(504)


# --- 2. roster list ------------------------------------------------------------------------------

def test_roster_search_by_name_code_and_liaison(park, make):
    make.enterprise(park.tenant, name="星辰科技有限公司", credit_code=credit_code_for(11), liaison="王小明")
    make.enterprise(park.tenant, name="东方制药股份公司", credit_code=credit_code_for(12), liaison="李四")
    make.enterprise(park.tenant, name="蓝海软件", credit_code=credit_code_for(13), liaison=None)
    get = lambda q: roster_names(park.admin.get(f"{park.url}/", query_string={"q": q}))  # noqa: E731
    assert sorted(get("")) == sorted(["东方制药股份公司", "星辰科技有限公司", "蓝海软件"])
    assert get("星辰") == ["星辰科技有限公司"]
    assert get(" 制药 ") == ["东方制药股份公司"]
    assert get(credit_code_for(12).lower()) == ["东方制药股份公司"]
    assert get("李四") == ["东方制药股份公司"]
    assert get("小明") == ["星辰科技有限公司"]
    response = park.admin.get(f"{park.url}/", query_string={"q": "%"})
    assert roster_names(response) == []
    assert "No enterprise matches these filters" in text(response)


def _core_in_place(tenant_id, enterprise_id, items=CORE_ITEMS):
    with tenant_scope(tenant_id):
        db.session.add_all([ChecklistItem(enterprise_id=enterprise_id, code=c, state="in_place") for c in items])
        db.session.commit()


def test_roster_filters(park, make):
    make.enterprise(park.tenant, name="A 高新", high_tech=True)
    make.enterprise(park.tenant, name="B 培育", status="cultivating", liaison=None)
    c = make.enterprise(park.tenant, name="C 示范", status="demonstration", gazelle=True)
    make.enterprise(park.tenant, name="D 退出", status="withdrawn", withdrawal_reason="迁出")
    with reading(park.id) as s:
        a = s.scalar(sa.select(Enterprise.id).where(Enterprise.name == "A 高新"))
    _core_in_place(park.id, a)
    _core_in_place(park.id, c, CORE_ITEMS[:-1] + ["ruleset.ledger"])  # 7 of 8 core + a non-core item

    def get(**args):
        return roster_names(park.admin.get(f"{park.url}/", query_string=args))

    assert get() == ["A 高新", "B 培育", "C 示范", "D 退出"]
    assert get(status="active") == ["A 高新", "B 培育", "C 示范"]
    assert get(status="withdrawn") == ["D 退出"]
    assert get(status="cultivating") == ["B 培育"]
    assert get(status="nonsense") == ["A 高新", "B 培育", "C 示范", "D 退出"]
    assert get(flag="high_tech") == ["A 高新"]
    assert get(flag="gazelle") == ["C 示范"]
    assert get(liaison="yes") == ["A 高新", "C 示范", "D 退出"]
    assert get(liaison="no") == ["B 培育"]
    assert get(checklist="complete") == ["A 高新"]
    assert get(checklist="incomplete") == ["B 培育", "C 示范", "D 退出"]
    assert get(status="active", liaison="yes", checklist="incomplete") == ["C 示范"]
    page = text(park.admin.get(f"{park.url}/"))
    assert "8/8" in page and "7/8" in page


def test_roster_sorts(park, make):
    make.enterprise(park.tenant, name="A 甲", employees=10, joined_on=date(2023, 1, 1))
    make.enterprise(park.tenant, name="B 乙", employees=300, joined_on=date(2021, 5, 1))
    make.enterprise(park.tenant, name="C 丙", employees=50, joined_on=date(2024, 6, 1), status="cultivating")

    def get(sort):
        return roster_names(park.admin.get(f"{park.url}/", query_string={"sort": sort}))

    assert get("name") == ["A 甲", "B 乙", "C 丙"]
    assert get("-employees") == ["B 乙", "C 丙", "A 甲"]
    assert get("joined") == ["B 乙", "A 甲", "C 丙"]
    assert get("-joined") == ["C 丙", "A 甲", "B 乙"]
    assert get("status") == ["C 丙", "A 甲", "B 乙"]  # cultivating, then liaison by name
    assert get("bogus") == ["A 甲", "B 乙", "C 丙"]


def _status_badges(response) -> dict[str, int]:
    page = text(response)
    counts = {s: int(n) for s, n in re.findall(r'data-status="(\w+)">(\d+)<', page)}
    counts["active"] = int(re.search(r'status=active">[^<]*<span class="badge[^"]*">(\d+)<', page).group(1))
    return counts


def test_roster_status_counts(park, make):
    for _ in range(3):
        make.enterprise(park.tenant)
    for _ in range(2):
        make.enterprise(park.tenant, status="cultivating")
    make.enterprise(park.tenant, status="demonstration")
    for _ in range(2):
        make.enterprise(park.tenant, status="withdrawn", withdrawal_reason="注销")
    # The recognised unit is a liaison enterprise; "demonstration" counts the units recognised today.
    expected = {"liaison": 4, "cultivating": 2, "demonstration": 1, "withdrawn": 2, "active": 6}
    assert _status_badges(park.admin.get(f"{park.url}/")) == expected
    # The counts are of the whole roster, whatever the list shows.
    filtered = park.admin.get(f"{park.url}/", query_string={"status": "withdrawn"})
    assert _status_badges(filtered) == expected
    assert len(roster_names(filtered)) == 2


def test_roster_pages_of_fifty(park):
    bulk_enterprises(park.id, 120)

    def page(n, **args):
        return park.admin.get(f"{park.url}/", query_string={"page": n, **args})

    first, second, third = (roster_names(page(n)) for n in (1, 2, 3))
    assert (len(first), len(second), len(third)) == (50, 50, 20)
    assert first == sorted(first) and first[-1] < second[0] and second[-1] < third[0]
    assert len(set(first + second + third)) == 120
    assert "120 in all" in text(page(1))
    # Page links keep the filters.
    links = re.findall(r'href="([^"]*page=2[^"]*)"', text(page(1, status="active")))
    assert links and all("status=active" in link for link in links)
    assert roster_names(page(9)) == []
    # Page links carry the filters and the page only: a visitor's other arguments never reach
    # the links, nor the cached page the next visitor gets.
    bulk_enterprises(park.id, 1, start=500)  # a change: the next view renders afresh, for the cache
    page(1, _scheme="javascript", x="\nalert(1)//")
    for response in (page(1), page(1, x="y")):
        links = re.findall(r'class="page-link" href="([^"#]+)"', text(response))
        assert links and all(link.strip().startswith(f"{park.url}/?page=") for link in links), links


# --- 3. query counts -----------------------------------------------------------------------------

def test_roster_sql_does_not_grow_with_the_roster(park, uncached):
    bulk_enterprises(park.id, 10)
    park.admin.get(f"{park.url}/")  # warm-up
    with statements() as small:
        response = park.admin.get(f"{park.url}/")
    assert len(roster_names(response)) == 10
    bulk_enterprises(park.id, 990, start=5000)
    with statements() as large:
        response = park.admin.get(f"{park.url}/")
    assert len(roster_names(response)) == 50 and "1000 in all" in text(response)
    assert len(large) == len(small), large
    # Filters and search are still one page query, not one per row.
    with statements() as searched:
        response = park.admin.get(f"{park.url}/", query_string={"q": "联络员5", "checklist": "incomplete",
                                                                "liaison": "yes", "sort": "-employees"})
    assert len(roster_names(response)) == 50
    assert len(searched) == len(small)


def _fill_records(tenant_id, enterprise_id, n):
    with tenant_scope(tenant_id):
        db.session.add_all([ChecklistItem(enterprise_id=enterprise_id, code=c, state="in_place")
                            for c in ITEMS[:n]])
        db.session.add_all([SurveyYear(enterprise_id=enterprise_id, year=1990 + i, employees=100,
                                       confidentiality_signed=i) for i in range(n)])
        db.session.add_all([Vulnerability(enterprise_id=enterprise_id, item=f"事项{i}") for i in range(n)])
        db.session.add_all([Attachment(owner_type="enterprise", owner_id=enterprise_id, filename=f"f{i}.pdf",
                                       stored_name=f"{tenant_id}/files/f{i}.pdf", content_type="application/pdf",
                                       size=1, sha256="0") for i in range(n)])
        db.session.commit()


def test_enterprise_page_sql_does_not_grow_with_its_records(park, make):
    small = make.enterprise(park.tenant, name="小企业")
    large = make.enterprise(park.tenant, name="大企业")
    _fill_records(park.id, small, 1)
    _fill_records(park.id, large, 30)
    park.admin.get(f"{park.url}/{small}")  # warm-up
    with statements() as one:
        assert park.admin.get(f"{park.url}/{small}").status_code == 200
    with statements() as thirty:
        response = park.admin.get(f"{park.url}/{large}")
    assert response.status_code == 200
    assert text(response).count("事项") == 30 and f"{len(ITEMS)}/{len(ITEMS)}" in text(response)
    assert len(thirty) == len(one), thirty


# --- 4. the enterprise page and what it keeps ----------------------------------------------------

def test_enterprise_page_shows_profile_liaison_and_history(park, make):
    eid = make.enterprise(park.tenant, name="星辰科技", credit_code=credit_code_for(21), liaison="王小明",
                          industry="制造业", specialised=True)
    response = park.admin.get(f"{park.url}/{eid}")
    assert response.status_code == 200
    page = text(response)
    for expected in ("星辰科技", credit_code_for(21), "制造业", "50 employees", "王小明", "Specialised and innovative",
                     f"/t/park/members/{eid}/invite"):
        assert expected in page
    assert park.admin.get(f"{park.url}/999999").status_code == 404


def test_edit_enterprise(park, make):
    eid = make.enterprise(park.tenant, credit_code=credit_code_for(22))
    assert park.admin.get(f"{park.url}/{eid}/edit").status_code == 200
    response = park.admin.post(f"{park.url}/{eid}/edit", data=profile(
        name="改名后的企业", credit_code=credit_code_for(22), employees="80", gazelle="y", adopted_standard="y",
        adopted_on="2024-05-01", industry="医药制造业"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/members/{eid}")
    with reading(park.id) as s:
        e = s.get(Enterprise, eid)
        assert (e.name, e.employees, e.gazelle, e.high_tech, e.adopted_standard, e.adopted_on, e.industry,
                e.joined_on) == ("改名后的企业", 80, True, False, True, date(2024, 5, 1), "医药制造业", date(2024, 1, 1))
        assert len(e.liaisons) == 1  # editing the profile leaves the liaison alone
    assert count(park.id, Enterprise) == 1
    # Form validation: negative employees are refused and nothing changes.
    response = park.admin.post(f"{park.url}/{eid}/edit",
                               data=profile(credit_code=credit_code_for(22), employees="-3"))
    assert response.status_code == 200
    with reading(park.id) as s:
        assert s.get(Enterprise, eid).employees == 80


def test_withdrawal_needs_a_reason_and_keeps_the_data(park, make):
    eid = make.enterprise(park.tenant, name="迁出企业", liaison="张三")
    _fill_records(park.id, eid, 2)
    form = park.admin.get(f"{park.url}/{eid}/status", query_string={"to": "withdrawn"})
    assert form.status_code == 200 and re.search(r'<option[^>]*selected[^>]*value="withdrawn"|'
                                                 r'<option[^>]*value="withdrawn"[^>]*selected', text(form))
    response = park.admin.post(f"{park.url}/{eid}/status", data={"status": "withdrawn", "reason": "  "})
    assert response.status_code == 200 and "Give the reason for the withdrawal" in text(response)
    with reading(park.id) as s:
        assert s.get(Enterprise, eid).status == "liaison"

    response = park.admin.post(f"{park.url}/{eid}/status",
                               data={"status": "withdrawn", "on": "2025-03-01", "reason": "企业迁出本园区"})
    assert response.status_code == 302
    with reading(park.id) as s:
        e = s.get(Enterprise, eid)
        assert (e.status, e.withdrawn_on, e.withdrawal_reason) == ("withdrawn", date(2025, 3, 1), "企业迁出本园区")
        assert e.current_liaison.name == "张三"
    for model in (ChecklistItem, SurveyYear, Vulnerability, Attachment):
        assert count(park.id, model) == 2, model
    page = text(park.admin.get(f"{park.url}/{eid}"))
    assert "Withdrawn on" in page and "企业迁出本园区" in page and "事项1" in page
    assert roster_names(park.admin.get(f"{park.url}/", query_string={"status": "active"})) == []
    assert roster_names(park.admin.get(f"{park.url}/", query_string={"status": "withdrawn"})) == ["迁出企业"]

    # The same status again is refused; coming back clears the withdrawal.
    response = park.admin.post(f"{park.url}/{eid}/status", data={"status": "withdrawn", "reason": "再次"})
    assert response.status_code == 200 and "already has this status" in text(response)
    assert park.admin.post(f"{park.url}/{eid}/status", data={"status": "cultivating"}).status_code == 302
    with reading(park.id) as s:
        e = s.get(Enterprise, eid)
        assert (e.status, e.withdrawn_on, e.withdrawal_reason) == ("cultivating", None, "")


def test_liaison_change_keeps_history(park, make):
    eid = make.enterprise(park.tenant, liaison="张三")
    today = date.today()
    response = park.admin.post(f"{park.url}/{eid}/liaison", data={
        "name": "李四", "position": "法务经理", "mobile": "13900000002", "email": "lisi@example.com",
        "started_on": today.isoformat()})
    assert response.status_code == 302
    with reading(park.id) as s:
        rows = s.scalars(sa.select(LiaisonPerson).where(LiaisonPerson.enterprise_id == eid)
                         .order_by(LiaisonPerson.id)).all()
        assert [(p.name, p.ended_on) for p in rows] == [("张三", today), ("李四", None)]
        assert rows[1].started_on == today and rows[1].position == "法务经理"
        assert s.get(Enterprise, eid).current_liaison.name == "李四"
    page = text(park.admin.get(f"{park.url}/{eid}"))
    history = re.search(r'id="liaison-history">(.*?)</ul>', page, re.S).group(1)
    assert "张三" in history and "李四" in history

    # The same name only updates the contact details.
    response = park.admin.post(f"{park.url}/{eid}/liaison", data={
        "name": "李四", "position": "副总经理", "mobile": "13900000003", "email": "li4@example.com"})
    assert response.status_code == 302
    with reading(park.id) as s:
        rows = s.scalars(sa.select(LiaisonPerson).where(LiaisonPerson.enterprise_id == eid)
                         .order_by(LiaisonPerson.id)).all()
        assert len(rows) == 2
        assert (rows[1].name, rows[1].position, rows[1].mobile, rows[1].email, rows[1].ended_on) == \
            ("李四", "副总经理", "13900000003", "li4@example.com", None)
        assert rows[0].ended_on == today
    # A bad email is a form error.
    response = park.admin.post(f"{park.url}/{eid}/liaison", data={"name": "王五", "email": "not-an-email"})
    assert response.status_code == 200
    assert count(park.id, LiaisonPerson) == 2


def test_checklist_save(park, make):
    eid = make.enterprise(park.tenant, name="清单企业")
    assert park.admin.get(f"{park.url}/{eid}/checklist").status_code == 200
    response = park.admin.post(f"{park.url}/{eid}/checklist", data={
        "state-five.organisation": "in_place", "note-five.organisation": "成立保密委员会",
        "state-three.people": "in_progress"}, follow_redirects=True)
    assert response.status_code == 200 and "2 items changed" in text(response)
    with reading(park.id) as s:
        items = {c.code: (c.state, c.note) for c in s.scalars(sa.select(ChecklistItem))}
    assert items == {"five.organisation": ("in_place", "成立保密委员会"), "three.people": ("in_progress", "")}
    assert f"1/{len(ITEMS)}" in text(response) and "成立保密委员会" in text(response)

    # Unknown state: nothing saved. Same values again: nothing changed.
    response = park.admin.post(f"{park.url}/{eid}/checklist", data={
        "state-five.organisation": "in_place", "state-five.personnel": "done"}, follow_redirects=True)
    assert "Unknown checklist item or state" in text(response)
    assert count(park.id, ChecklistItem) == 2
    response = park.admin.post(f"{park.url}/{eid}/checklist", data={
        "state-five.organisation": "in_place", "note-five.organisation": "成立保密委员会",
        "state-three.people": "in_progress"}, follow_redirects=True)
    assert "0 items changed" in text(response)

    # All five + three in place: the roster counts it complete.
    park.admin.post(f"{park.url}/{eid}/checklist", data={f"state-{c}": "in_place" for c in CORE_ITEMS})
    assert roster_names(park.admin.get(f"{park.url}/", query_string={"checklist": "complete"})) == ["清单企业"]


def test_survey_save_and_rates(park, make):
    eid = make.enterprise(park.tenant, employees=60)
    year = date.today().year
    form = text(park.admin.get(f"{park.url}/{eid}/survey/{year}"))
    assert re.search(r'name="employees"[^>]*value="60"|value="60"[^>]*name="employees"', form)
    counts = {"employees": "100", "secrets_identified": "12", "patents": "3", "confidentiality_signed": "80",
              "noncompete_signed": "25", "key_posts_tiered": "10", "incidents_suffered": "1",
              "incidents_caused": "0"}
    assert park.admin.post(f"{park.url}/{eid}/survey/{year}", data=counts).status_code == 302
    page = text(park.admin.get(f"{park.url}/{eid}"))
    assert "80/100 (80%)" in page and "25/100 (25%)" in page
    with reading(park.id) as s:
        row = s.scalars(sa.select(SurveyYear)).one()
        assert (row.year, row.employees, row.secrets_identified, row.confidentiality_signed) == (year, 100, 12, 80)
        assert (row.confidentiality_rate, row.noncompete_rate) == (0.8, 0.25)

    # More signed than employed: refused, the saved figures stay.
    response = park.admin.post(f"{park.url}/{eid}/survey/{year}", data={**counts, "confidentiality_signed": "120"})
    assert response.status_code == 200
    assert "Employees with a confidentiality agreement: 120 is more than the 100 employees." in text(response)
    response = park.admin.post(f"{park.url}/{eid}/survey/{year}", data={**counts, "employees": "20"})
    assert response.status_code == 200
    assert "Employees with a confidentiality agreement: 80 is more than the 20 employees." in text(response)
    with reading(park.id) as s:
        row = s.scalars(sa.select(SurveyYear)).one()
        assert (row.employees, row.confidentiality_signed) == (100, 80)
    # Saving the year again updates the same row; a negative count is refused.
    assert park.admin.post(f"{park.url}/{eid}/survey/{year}", data={**counts, "patents": "5"}).status_code == 302
    assert park.admin.post(f"{park.url}/{eid}/survey/{year}", data={**counts, "patents": "-1"}).status_code == 200
    with reading(park.id) as s:
        assert [r.patents for r in s.scalars(sa.select(SurveyYear))] == [5]
    # Years outside the survey range do not exist.
    assert park.admin.get(f"{park.url}/{eid}/survey/2000").status_code == 404
    assert park.admin.get(f"{park.url}/{eid}/survey/{year + 2}").status_code == 404


def test_vulnerabilities_add_edit_delete(park, make):
    eid = make.enterprise(park.tenant)
    other = make.enterprise(park.tenant)
    response = park.admin.post(f"{park.url}/{eid}/vulnerabilities/new", data={
        "item": "研发图纸外发", "area": "研发", "severity": "high", "measure": "外发审批", "status": "open"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#vulnerabilities")
    with reading(park.id) as s:
        v = s.scalars(sa.select(Vulnerability)).one()
        vid = v.id
        assert (v.enterprise_id, v.item, v.area, v.severity, v.measure, v.status) == \
            (eid, "研发图纸外发", "研发", "high", "外发审批", "open")
    # Missing item and unknown severity are form errors.
    assert park.admin.post(f"{park.url}/{eid}/vulnerabilities/new", data={"item": "", "severity": "high",
                                                                        "status": "open"}).status_code == 200
    assert park.admin.post(f"{park.url}/{eid}/vulnerabilities/new", data={"item": "x", "severity": "extreme",
                                                                        "status": "open"}).status_code == 200
    assert count(park.id, Vulnerability) == 1

    response = park.admin.post(f"{park.url}/{eid}/vulnerabilities/{vid}", data={
        "item": "研发图纸外发", "area": "研发", "severity": "medium", "measure": "加水印", "status": "closed"})
    assert response.status_code == 302
    with reading(park.id) as s:
        v = s.get(Vulnerability, vid)
        assert (v.severity, v.measure, v.status) == ("medium", "加水印", "closed")
    # Through another enterprise's URL the row does not exist.
    assert park.admin.get(f"{park.url}/{other}/vulnerabilities/{vid}").status_code == 404
    assert park.admin.post(f"{park.url}/{other}/vulnerabilities/{vid}/delete").status_code == 404

    confirm = park.admin.get(f"{park.url}/{eid}/vulnerabilities/{vid}/delete")
    assert confirm.status_code == 200 and "研发图纸外发" in text(confirm)
    assert count(park.id, Vulnerability) == 1  # GET only asks
    response = park.admin.post(f"{park.url}/{eid}/vulnerabilities/{vid}/delete")
    assert response.status_code == 302
    assert count(park.id, Vulnerability) == 0
    assert count(park.id, AuditEvent, AuditEvent.object_type == "Vulnerability", AuditEvent.action == "delete",
                 AuditEvent.object_id == vid) == 1


def test_evidence_upload_download_and_delete(park, make, app, monkeypatch):
    eid = make.enterprise(park.tenant)
    url = f"{park.url}/{eid}/evidence"
    assert park.admin.get(url).status_code == 200
    response = upload(park.admin, url, PDF, "保密制度.pdf", "five.rules")
    assert response.status_code == 302
    with reading(park.id) as s:
        a = s.scalars(sa.select(Attachment)).one()
        aid, stored = a.id, a.stored_name
        assert (a.owner_type, a.owner_id, a.label, a.filename, a.content_type, a.size, a.uploaded_by_id) == \
            ("enterprise", eid, "five.rules", "保密制度.pdf", "application/pdf", len(PDF), park.admin_id)
    path = Path(app.config["UPLOAD_DIR"]) / stored
    assert path.read_bytes() == PDF
    assert "保密制度.pdf" in text(park.admin.get(f"{park.url}/{eid}"))
    download = park.admin.get(f"{url}/{aid}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf" and "attachment" in download.headers["Content-Disposition"]

    for data, name in ((EXE, "制度.pdf"), (os.urandom(2048), "scan.pdf"), (EXE, "setup.exe"), (b"", "empty.pdf")):
        response = upload(park.admin, url, data, name)
        assert response.status_code == 200, name
        assert "not accepted" in text(response) or "empty" in text(response) or "Choose a file" in text(response)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 64)
    response = upload(park.admin, url, PDF, "big.pdf")
    assert response.status_code == 200 and "larger than" in text(response)
    assert count(park.id, Attachment) == 1

    confirm = park.admin.get(f"{url}/{aid}/delete")
    assert confirm.status_code == 200 and "保密制度.pdf" in text(confirm) and path.exists()
    assert park.admin.post(f"{url}/{aid}/delete").status_code == 302
    assert count(park.id, Attachment) == 0 and not path.exists()
    assert park.admin.get(f"{url}/{aid}").status_code == 404


# --- 5. enterprise users and invitations ---------------------------------------------------------

@pytest.fixture
def own_and_other(park, make, login_as):
    own = make.enterprise(park.tenant, name="本企业")
    other = make.enterprise(park.tenant, name="别家企业")
    user_id, client = enterprise_user(make, login_as, park.tenant, own)
    # Evidence of the other enterprise, uploaded by the admin.
    assert upload(park.admin, f"{park.url}/{other}/evidence", PDF, "别家.pdf").status_code == 302
    with reading(park.id) as s:
        other_file = s.scalar(sa.select(Attachment.id))
    return SimpleNamespace(own=own, other=other, other_file=other_file, user_id=user_id, client=client)


def test_enterprise_user_works_on_its_own_enterprise(park, own_and_other):
    c, own, url = own_and_other.client, own_and_other.own, park.url
    response = c.get(f"{url}/mine")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/members/{own}")
    page = c.get(f"{url}/{own}")
    assert page.status_code == 200 and "本企业" in text(page)
    assert f"{url}/{own}/edit" not in text(page) and "/invite" not in text(page)

    assert c.post(f"{url}/{own}/checklist", data={"state-five.rules": "in_place"}).status_code == 302
    assert c.post(f"{url}/{own}/survey/{date.today().year}",
                  data={"employees": "40", "confidentiality_signed": "40"}).status_code == 302
    assert c.post(f"{url}/{own}/vulnerabilities/new",
                  data={"item": "离职带走资料", "severity": "high", "status": "open"}).status_code == 302
    assert upload(c, f"{url}/{own}/evidence", PDF, "本企业制度.pdf", "five.rules").status_code == 302
    with reading(park.id) as s:
        assert s.scalar(sa.select(ChecklistItem.state).where(ChecklistItem.enterprise_id == own)) == "in_place"
        assert s.scalar(sa.select(SurveyYear.confidentiality_signed).where(SurveyYear.enterprise_id == own)) == 40
        vid = s.scalar(sa.select(Vulnerability.id).where(Vulnerability.enterprise_id == own))
        own_file = s.scalar(sa.select(Attachment.id).where(Attachment.owner_id == own))
        # Its changes are in the audit log under its name.
        assert s.scalar(sa.select(AuditEvent.user_id).where(AuditEvent.object_type == "Vulnerability")) == \
            own_and_other.user_id
    assert c.post(f"{url}/{own}/vulnerabilities/{vid}", data={"item": "离职带走资料", "severity": "low",
                                                             "status": "closed"}).status_code == 302
    assert c.get(f"{url}/{own}/evidence/{own_file}").data == PDF


def test_enterprise_user_cannot_see_another_enterprise(park, own_and_other):
    c, o, url = own_and_other.client, own_and_other.other, park.url
    year = date.today().year
    for path in (f"{o}", f"{o}/checklist", f"{o}/survey/{year}", f"{o}/evidence",
                 f"{o}/evidence/{own_and_other.other_file}", f"{o}/vulnerabilities/new"):
        assert c.get(f"{url}/{path}").status_code == 404, path
    for path in (f"{o}/checklist", f"{o}/survey/{year}", f"{o}/vulnerabilities/new"):
        assert c.post(f"{url}/{path}", data={"item": "x", "employees": "1"}).status_code == 404, path
    # The other enterprise's file through its own enterprise's URL.
    assert c.get(f"{url}/{own_and_other.own}/evidence/{own_and_other.other_file}").status_code == 404
    assert count(park.id, Vulnerability) == 0 and count(park.id, ChecklistItem) == 0


def test_enterprise_user_has_no_roster_and_no_management(park, own_and_other):
    c, own, url = own_and_other.client, own_and_other.own, park.url
    for path in ("/", "/new", f"/{own}/edit", f"/{own}/status", f"/{own}/liaison", "/import",
                 "/import/template.xlsx", "/export.xlsx", "/export.csv", "/ledger.xlsx"):
        assert c.get(url + path).status_code == 403, path
    for path in ("/new", f"/{own}/edit", f"/{own}/status", f"/{own}/invite", "/import"):
        assert c.post(url + path, data=profile(status="withdrawn", reason="x")).status_code == 403, path
    assert c.get(f"/t/{park.slug}/audit/").status_code == 403
    with reading(park.id) as s:
        assert s.get(Enterprise, own).status == "liaison" and s.get(Enterprise, own).name == "本企业"


def test_invite_liaison_creates_the_enterprise_user(park, make, login_as):
    eid = make.enterprise(park.tenant, liaison="王小明")
    park.admin.post(f"{park.url}/{eid}/liaison", data={"name": "王小明", "email": "Wang.XM@example.com"})
    response = park.admin.post(f"{park.url}/{eid}/invite", follow_redirects=True)
    assert response.status_code == 200 and "Invitation sent to" in text(response)
    user = User.by_email("wang.xm@example.com")
    assert user is not None and user.name == "王小明" and user.password_hash is None
    with reading(park.id) as s:
        m = s.scalar(sa.select(Membership).where(Membership.user_id == user.id))
        assert (m.role, m.enterprise_id) == ("enterprise", eid)
    mails = db.session.scalars(sa.select(SentMail).where(SentMail.recipient == "wang.xm@example.com")).all()
    assert len(mails) == 1 and "示范园区" in mails[0].subject + mails[0].body

    # Without an email address nothing happens; staff may not invite.
    bare = make.enterprise(park.tenant, liaison=None)
    response = park.admin.post(f"{park.url}/{bare}/invite", follow_redirects=True)
    assert "email address first" in text(response)
    make.user("staff@example.com", tenant=park.tenant, role="staff")
    assert login_as("staff@example.com").post(f"{park.url}/{eid}/invite").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(SentMail.id))) == 1


def test_inviting_a_liaison_never_changes_an_existing_members_role(park, make):
    staff = make.user("staff@example.com", tenant=park.tenant, role="staff")
    staff_id = staff.id
    eid = make.enterprise(park.tenant, liaison="王小明")
    park.admin.post(f"{park.url}/{eid}/liaison", data={"name": "王小明", "email": "staff@example.com"})
    park.admin.post(f"{park.url}/{eid}/invite")
    with reading(park.id) as s:
        assert s.scalar(sa.select(Membership.role).where(Membership.user_id == staff_id)) == "staff"


# --- 8. audit log --------------------------------------------------------------------------------

def _events(tenant_id, *where):
    with reading(tenant_id) as s:
        return [SimpleNamespace(action=e.action, type=e.object_type, object_id=e.object_id, user_id=e.user_id,
                                changes=e.changes, label=e.label)
                for e in s.scalars(sa.select(AuditEvent).where(*where).order_by(AuditEvent.id))]


def _listed(response) -> list[tuple[str, str]]:
    assert response.status_code == 200
    return re.findall(r"(Created|Changed|Status changed|Deleted) · ([\w ]+?) #\d+", text(response))


def test_audit_events_for_create_edit_and_status(park):
    code = credit_code_for(31)
    assert park.admin.post(f"{park.url}/new", data=profile(
        name="审计企业", credit_code=code, **{"liaison-name": "张三"})).status_code == 302
    with reading(park.id) as s:
        eid = s.scalar(sa.select(Enterprise.id))
    created = _events(park.id, AuditEvent.object_type == "Enterprise")
    assert [(e.action, e.object_id, e.user_id, e.label) for e in created] == \
        [("create", eid, park.admin_id, "审计企业")]
    assert created[0].changes["name"] == [None, "审计企业"] and created[0].changes["employees"] == [None, 50]
    assert created[0].changes["credit_code"] == [None, code]
    assert [(e.action, e.user_id) for e in _events(park.id, AuditEvent.object_type == "LiaisonPerson")] == \
        [("create", park.admin_id)]

    assert park.admin.post(f"{park.url}/{eid}/edit", data=profile(name="审计企业", credit_code=code,
                                                                 employees="80")).status_code == 302
    updated = _events(park.id, AuditEvent.action == "update")
    assert len(updated) == 1 and updated[0].user_id == park.admin_id
    assert updated[0].changes == {"employees": [50, 80]}

    # Saving an unchanged form records nothing.
    park.admin.post(f"{park.url}/{eid}/edit", data=profile(name="审计企业", credit_code=code, employees="80"))
    assert len(_events(park.id, AuditEvent.object_type.in_(("Enterprise", "LiaisonPerson")))) == 3

    assert park.admin.post(f"{park.url}/{eid}/status", data={
        "status": "withdrawn", "on": "2025-03-01", "reason": "迁出"}).status_code == 302
    status = _events(park.id, AuditEvent.action == "status")
    assert len(status) == 1 and status[0].user_id == park.admin_id
    assert status[0].changes == {"status": ["liaison", "withdrawn"], "withdrawn_on": [None, "2025-03-01"],
                                 "withdrawal_reason": ["", "迁出"]}

    # The enterprise page shows its history.
    page = text(park.admin.get(f"{park.url}/{eid}"))
    assert "Change history" in page and 'text-muted">Employees</span>: 50 → 80' in page


def test_audit_page_lists_and_filters(park, make, login_as):
    code = credit_code_for(32)
    park.admin.post(f"{park.url}/new", data=profile(name="审计企业", credit_code=code, **{"liaison-name": "张三"}))
    with reading(park.id) as s:
        eid = s.scalar(sa.select(Enterprise.id))
    park.admin.post(f"{park.url}/{eid}/edit", data=profile(name="审计企业", credit_code=code, employees="80"))
    park.admin.post(f"{park.url}/{eid}/status", data={"status": "cultivating"})

    url = f"/t/{park.slug}/audit/"
    page = park.admin.get(url)
    listed = _listed(page)  # newest first; the two creations share one flush; then the admin's membership
    assert listed[:2] == [("Status changed", "Member enterprise"), ("Changed", "Member enterprise")]
    assert sorted(listed[2:4]) == [("Created", "Liaison person"), ("Created", "Member enterprise")]
    assert listed[4:] == [("Created", "Member of the workspace")]
    # Fields and values read as the forms word them; bookkeeping columns are not listed.
    assert "园区管理员" in text(page) and 'text-muted">Employees</span>: 50 → 80' in text(page)
    assert 'text-muted">Status</span>: Liaison enterprise → Cultivation target' in text(page)
    assert 'text-muted">Unified social credit code</span>: — → ' + code in text(page)
    assert 'data-field="created_at"' not in text(page) and "<code>" not in text(page)
    assert '<option value="LiaisonPerson">Liaison person</option>' in text(page)
    assert _listed(park.admin.get(url, query_string={"type": "LiaisonPerson"})) == [("Created", "Liaison person")]
    assert _listed(park.admin.get(url, query_string={"action": "status"})) == [("Status changed", "Member enterprise")]
    assert _listed(park.admin.get(url, query_string={"type": "Enterprise", "action": "create"})) == \
        [("Created", "Member enterprise")]
    assert _listed(park.admin.get(url, query_string={"user": park.admin_id, "action": "update"})) == \
        [("Changed", "Member enterprise")]
    assert _listed(park.admin.get(url, query_string={"user": park.admin_id + 1000})) == []

    make.user("staff@example.com", tenant=park.tenant, role="staff")
    staff = login_as("staff@example.com")
    assert staff.get(url).status_code == 403
    assert staff.get(f"{park.url}/{eid}").status_code == 200
    assert "Change history" not in text(staff.get(f"{park.url}/{eid}"))
