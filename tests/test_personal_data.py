"""Personal data of liaison persons (PIPL, issue 24): who sees contact details in full, masking on
pages, exports and the API, exports with contacts recorded, one person's data exported and erased
on request, and the retention of the audit log, signed-out sessions and known sign-ins."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from types import SimpleNamespace

import re

import openpyxl
import pytest
import sqlalchemy as sa

from saas.audit import AuditEvent
from saas.auth.models import KnownSignIn, SignedOutSession
from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import tenant_scope, utcnow
from tenants.members.models import Enterprise, LiaisonPerson
from tenants.members.privacy import ERASED_NAME, mask_email, mask_mobile, mask_number
from tenants.members.services import MemberError, set_liaison
from tenants.visits.models import InstructorEnterprise

from .factories import credit_code_for

API = "/api/v1"
E1 = {"name": "张联络", "mobile": "13912345678", "landline": "027-87654321", "email": "zhang@example.com"}
E2 = {"name": "李联络", "mobile": "13698765432", "landline": "", "email": "li@example.com"}
MASKED_E1 = {"mobile": "139****5678", "landline": "027-****4321", "email": "z***@example.com"}
MASKED_E2 = {"mobile": "136****5432", "email": "l***@example.com"}
ROLES = ("admin", "staff", "assigned", "unassigned", "enterprise", "reviewer")
# Who sees E1's contacts (the assigned instructor is assigned to E1 only) and E2's in full.
FULL_E1 = {"admin", "staff", "assigned"}
FULL_E2 = {"admin", "staff"}


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(page)).group(1)


def cells(data: bytes) -> list:
    """Every non-empty cell of every sheet."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]


@pytest.fixture
def world(app, make, login_as):
    bureau = make.bureau("甲区市场监督管理局")
    tenant = make.tenant(slug="pii", name="隐私园区", default_locale="en", bureau=bureau)
    other = make.tenant(slug="pii-other", name="他园区", default_locale="en")
    e1 = make.enterprise(tenant, name="甲一科技有限公司", credit_code=credit_code_for(7701), liaison=None,
                         joined_on=date(2023, 1, 1))
    e2 = make.enterprise(tenant, name="甲二制造有限公司", credit_code=credit_code_for(7702), liaison=None,
                         joined_on=date(2023, 1, 1))
    eo = make.enterprise(other, name="他企业有限公司", credit_code=credit_code_for(7703))
    with tenant_scope(tenant.id):
        set_liaison(db.session.get(Enterprise, e1), on=date(2023, 2, 1), position="法务", **E1)
        set_liaison(db.session.get(Enterprise, e2), on=date(2023, 2, 1), **E2)
        db.session.commit()
    users = {role: make.user(f"{role}@example.com", name=f"{role}用户", tenant=tenant, role=role)
             for role in ("admin", "staff")}
    users["assigned"] = make.user("assigned@example.com", name="指导员甲", tenant=tenant, role="instructor")
    users["unassigned"] = make.user("unassigned@example.com", name="指导员乙", tenant=tenant, role="instructor")
    users["enterprise"] = make.user("enterprise@example.com", name="企业用户")
    grant(users["enterprise"], tenant, "enterprise", e1)
    users["reviewer"] = make.user("reviewer@example.com", name="审核人", bureau=bureau, bureau_role="reviewer")
    other_admin = make.user("other@example.com", tenant=other, role="admin")
    with tenant_scope(tenant.id):
        db.session.add(InstructorEnterprise(user_id=users["assigned"].id, enterprise_id=e1))
        db.session.commit()
        person1 = db.session.scalar(sa.select(LiaisonPerson.id).where(LiaisonPerson.enterprise_id == e1))
    with tenant_scope(other.id):
        person_o = db.session.scalar(sa.select(LiaisonPerson.id).where(LiaisonPerson.enterprise_id == eo))
    from saas.api import tokens as api_tokens

    tokens = {}
    for role, user in users.items():
        tokens[role] = api_tokens.issue(user, tenant, role)[1]
    db.session.commit()
    clients = {role: login_as(f"{role}@example.com") for role in users}
    return SimpleNamespace(tenant=tenant, id=tenant.id, other_id=other.id, e1=e1, e2=e2, eo=eo, person1=person1,
                           person_o=person_o, users=users, user_ids={k: u.id for k, u in users.items()},
                           tokens=tokens, c=clients, other=login_as("other@example.com"), other_admin=other_admin,
                           url="/t/pii/members")


def api(client, token, path, **kw):
    return client.get(f"{API}/tenants/pii{path}", headers={"Authorization": f"Bearer {token}"}, **kw)


def assert_contacts(page: str, full: bool, person=E1, masked=MASKED_E1):
    for key in ("mobile", "email", "landline"):
        if not person.get(key):
            continue
        if full:
            assert person[key] in page, key
        else:
            assert person[key] not in page, key
            assert masked[key] in page, key


def events(tenant_id, *where):
    db.session.rollback()
    with tenant_scope(tenant_id):
        return db.session.scalars(sa.select(AuditEvent).where(*where).order_by(AuditEvent.id)).all()


# --- masking -------------------------------------------------------------------------------------

def test_masks():
    assert mask_mobile("13800000000") == "138****0000"
    assert mask_email("alice@example.com") == "a***@example.com"
    assert mask_number("027-87654321") == "027-****4321"
    assert mask_number("027-87654321 转 8") == "027-****3218" or "8765" not in mask_number("027-87654321 转 8")
    assert mask_number("") == "" and mask_email("") == ""
    assert mask_number("12345") == "****" and mask_email("no-at-sign") == "***"


# --- who sees what -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_member_page_shows_contacts_only_to_those_who_contact_them(world, role):
    response = world.c[role].get(f"{world.url}/{world.e1}")
    assert response.status_code == 200
    page = text(response)
    assert E1["name"] in page
    assert_contacts(page, role in FULL_E1)


@pytest.mark.parametrize("role", ["admin", "staff", "assigned", "unassigned", "reviewer"])
def test_other_enterprise_is_masked_for_an_instructor_not_assigned_to_it(world, role):
    page = text(world.c[role].get(f"{world.url}/{world.e2}"))
    assert_contacts(page, role in FULL_E2, E2, MASKED_E2)


@pytest.mark.parametrize("role", ["admin", "staff", "assigned", "unassigned", "reviewer"])
def test_roster_masks_per_enterprise(world, role):
    response = world.c[role].get(f"{world.url}/")
    assert response.status_code == 200
    page = text(response)
    assert (E1["mobile"] in page) == (role in FULL_E1)
    assert (E2["mobile"] in page) == (role in FULL_E2)
    if role not in FULL_E1:
        assert MASKED_E1["mobile"] in page
    # The cached roster of one role is not what another sees.
    again = text(world.c["unassigned"].get(f"{world.url}/"))
    assert E1["mobile"] not in again and E2["mobile"] not in again


def test_enterprise_users_see_no_roster(world):
    assert world.c["enterprise"].get(f"{world.url}/").status_code == 403


def test_assignment_changes_what_an_instructor_sees(world):
    assert E2["mobile"] not in text(world.c["assigned"].get(f"{world.url}/"))
    with tenant_scope(world.id):
        db.session.add(InstructorEnterprise(user_id=world.user_ids["assigned"], enterprise_id=world.e2))
        db.session.commit()
    assert E2["mobile"] in text(world.c["assigned"].get(f"{world.url}/"))
    assert E2["mobile"] in text(world.c["assigned"].get(f"{world.url}/{world.e2}"))


@pytest.mark.parametrize("role", ROLES)
def test_api_enterprise_shows_contacts_as_the_pages_do(world, role, client):
    response = api(client, world.tokens[role], f"/enterprises/{world.e1}")
    assert response.status_code == 200
    liaison = response.get_json()["liaison"]
    assert liaison["name"] == E1["name"]
    expected = {k: E1[k] for k in MASKED_E1} if role in FULL_E1 else MASKED_E1
    assert {k: liaison[k] for k in MASKED_E1} == expected


@pytest.mark.parametrize("role", ["admin", "staff", "assigned", "unassigned", "reviewer"])
def test_api_list_masks_unless_contacts_are_asked_for(world, role, client):
    listed = api(client, world.tokens[role], "/enterprises")
    assert listed.status_code == 200
    by_id = {item["id"]: item["liaison"] for item in listed.get_json()["items"]}
    assert by_id[world.e1]["mobile"] == MASKED_E1["mobile"]  # even for those who may see them
    assert by_id[world.e2]["email"] == MASKED_E2["email"]
    assert not events(world.id, AuditEvent.action == "export")

    included = api(client, world.tokens[role], "/enterprises", query_string={"contacts": "include"})
    if role == "reviewer":  # may see none: not offered
        assert included.status_code == 403
        return
    # An instructor may see those of the enterprises assigned to them (the unassigned one: none).
    assert included.status_code == 200
    by_id = {item["id"]: item["liaison"] for item in included.get_json()["items"]}
    assert (by_id[world.e1]["mobile"] == E1["mobile"]) == (role in FULL_E1)
    assert (by_id[world.e2]["mobile"] == E2["mobile"]) == (role in FULL_E2)
    exported = events(world.id, AuditEvent.action == "export")
    assert len(exported) == 1 and exported[0].user_id == world.user_ids[role]
    assert exported[0].changes["contacts"] == [None, True]


def test_api_list_refuses_a_bad_contacts_value(world, client):
    assert api(client, world.tokens["admin"], "/enterprises", query_string={"contacts": "all"}).status_code == 422


def test_training_coverage_masks_liaison_mobiles(world):
    year = date.today().year
    for role, full in (("admin", True), ("assigned", True), ("reviewer", False), ("unassigned", False)):
        page = text(world.c[role].get("/t/pii/training/coverage", query_string={"year": year}))
        assert (E1["mobile"] in page) == full, role
    sheet = world.c["admin"].get("/t/pii/training/export.xlsx", query_string={"year": year})
    assert sheet.status_code == 200
    assert E1["name"] in cells(sheet.data)
    assert E1["mobile"] not in cells(sheet.data) and "Mobile" not in cells(sheet.data)  # not asked for
    assert not events(world.id, AuditEvent.action == "export")
    sheet = world.c["admin"].get("/t/pii/training/export.xlsx", query_string={"year": year, "contacts": "include"})
    assert E1["mobile"] in cells(sheet.data)
    assert len(events(world.id, AuditEvent.action == "export")) == 1


# --- roster exports ------------------------------------------------------------------------------

def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("path", ["export.csv", "export.xlsx"])
def test_roster_export_leaves_contacts_out_by_default(world, path):
    response = world.c["admin"].get(f"{world.url}/{path}")
    assert response.status_code == 200
    body = response.data if path.endswith("xlsx") else response.data.decode("utf-8-sig").encode()
    if path.endswith("csv"):
        rows = _csv(response)
        assert "联络员手机" not in rows[0] and "联络员邮箱" not in rows[0] and "联络员" in rows[0]
        assert any(E1["name"] in row for row in rows)
    else:
        found = cells(body)
        assert E1["name"] in found and "联络员手机" not in found
    assert E1["mobile"].encode() not in body and E1["email"].encode() not in body
    assert not events(world.id, AuditEvent.action == "export")


def test_roster_export_with_contacts_is_chosen_and_recorded(world):
    page = world.c["admin"].get(f"{world.url}/export")
    assert page.status_code == 200 and "Include the liaison persons" in text(page)
    token = csrf(page)
    response = world.c["admin"].post(f"{world.url}/export", data={"csrf_token": token, "format": "csv",
                                                                 "contacts": "y"})
    assert response.status_code == 200
    rows = _csv(response)
    assert "联络员手机" in rows[0]
    assert any(E1["mobile"] in row and E1["email"] in row for row in rows)
    exported = events(world.id, AuditEvent.action == "export")
    assert len(exported) == 1 and exported[0].user_id == world.user_ids["admin"]
    assert exported[0].object_type == "Roster" and exported[0].changes["contacts"] == [None, True]
    # Without the box ticked: no contacts, nothing recorded.
    response = world.c["admin"].post(f"{world.url}/export", data={"csrf_token": token, "format": "csv"})
    assert "联络员手机" not in _csv(response)[0]
    assert len(events(world.id, AuditEvent.action == "export")) == 1


@pytest.mark.parametrize("role", ["assigned", "unassigned", "enterprise", "reviewer"])
def test_roster_exports_are_not_offered_to_other_roles(world, role):
    for path in ("export", "export.csv", "export.xlsx"):
        assert world.c[role].get(f"{world.url}/{path}").status_code == 403


def test_an_export_without_contacts_reimported_changes_nothing(world):
    sheet = world.c["admin"].get(f"{world.url}/export.xlsx").data
    response = world.c["admin"].post(f"{world.url}/import", data={"mode": "update", "file": (io.BytesIO(sheet), "r.xlsx")},
                                     content_type="multipart/form-data")
    assert response.status_code == 200 and "0 new, 0 changed" in text(response)


# --- a person's data: export and erasure --------------------------------------------------------

def test_person_export_holds_everything_stored_about_them(world):
    response = world.c["admin"].get(f"{world.url}/{world.e1}/liaisons/{world.person1}/data.json")
    assert response.status_code == 200
    data = json.loads(response.data)
    assert data["person"]["name"] == E1["name"] and data["person"]["mobile"] == E1["mobile"]
    row = data["liaison_rows"][0]
    assert row["enterprise"]["name"] == "甲一科技有限公司" and row["started_on"] == "2023-02-01"
    assert row["email"] == E1["email"] and row["landline"] == E1["landline"]
    assert any(h["action"] == "create" and h["changes"]["mobile"][1] == E1["mobile"] for h in data["history"])
    exported = events(world.id, AuditEvent.action == "export")
    assert len(exported) == 1 and exported[0].object_id == world.person1


@pytest.mark.parametrize("role", ["staff", "assigned", "unassigned", "enterprise", "reviewer"])
def test_only_the_admin_exports_or_erases_a_person(world, role):
    assert world.c[role].get(f"{world.url}/{world.e1}/liaisons/{world.person1}/data.json").status_code == 403
    assert world.c[role].get(f"{world.url}/{world.e1}/liaisons/{world.person1}/erase").status_code == 403


def test_another_tenants_person_is_not_found(world):
    assert world.c["admin"].get(f"{world.url}/{world.eo}/liaisons/{world.person_o}/erase").status_code == 404
    assert world.c["admin"].get(f"{world.url}/{world.e1}/liaisons/{world.person_o}/data.json").status_code == 404
    # A person of another enterprise of the same tenant, under the wrong enterprise: 404 too.
    assert world.c["admin"].get(f"{world.url}/{world.e2}/liaisons/{world.person1}/erase").status_code == 404


def _erase(world, name):
    url = f"{world.url}/{world.e1}/liaisons/{world.person1}/erase"
    page = world.c["admin"].get(url)
    if page.status_code == 302:  # already erased: the page is not offered; a stale form posts anyway
        page = world.c["admin"].get(f"{world.url}/{world.e1}/liaison")
    assert page.status_code == 200
    token = csrf(page)
    return world.c["admin"].post(url, data={"csrf_token": token, "name": name})


def liaison_figures(tenant_id):
    from tenants.metrics.service import tenant_metrics
    from tenants.training.coverage import Period

    db.session.rollback()
    with tenant_scope(tenant_id):
        return {year: {k: tenant_metrics(Period.year(year))[k] for k in ("members_with_liaison", "members_without_liaison")}
                for year in (2023, 2024, date.today().year)}


def test_erasure_keeps_the_liaison_and_the_figures_but_not_who(world, client):
    # Something that copied the person: a later change of their mobile (an audit "update").
    with tenant_scope(world.id):
        set_liaison(db.session.get(Enterprise, world.e1), E1["name"], "法务", "13911112222", E1["email"],
                    landline=E1["landline"])
        db.session.commit()
    before = liaison_figures(world.id)
    wrong = _erase(world, "张三")
    assert wrong.status_code == 422 and "Type the name exactly" in text(wrong)
    with tenant_scope(world.id):
        assert db.session.get(LiaisonPerson, world.person1).erased_at is None

    done = _erase(world, E1["name"])
    assert done.status_code == 302
    db.session.rollback()
    with tenant_scope(world.id):
        row = db.session.get(LiaisonPerson, world.person1)
        assert (row.name, row.position, row.mobile, row.landline, row.email) == (ERASED_NAME, "", "", "", "")
        assert row.enterprise_id == world.e1 and row.started_on == date(2023, 2, 1) and row.ended_on is None
        assert row.erased_at is not None and row.erased_by_id == world.user_ids["admin"]
    assert liaison_figures(world.id) == before

    # Nowhere any more: the audit log's stored values, pages, exports, the API.
    logged = events(world.id, AuditEvent.object_type == "LiaisonPerson", AuditEvent.object_id == world.person1)
    dump = json.dumps([(e.label, e.changes) for e in logged], ensure_ascii=False)
    for secret in (E1["name"], E1["mobile"], "13911112222", E1["email"], E1["landline"]):
        assert secret not in dump
    assert [e.action for e in logged][-1] == "erase" and logged[-1].user_id == world.user_ids["admin"]
    for role in ("admin", "reviewer"):
        page = text(world.c[role].get(f"{world.url}/{world.e1}"))
        assert E1["name"] not in page and ERASED_NAME in page
    assert E1["name"] not in text(world.c["admin"].get(f"{world.url}/"))
    assert E1["name"] not in text(world.c["admin"].get("/t/pii/audit/"))
    rows = _csv(world.c["admin"].get(f"{world.url}/export.csv"))
    assert not any(E1["name"] in row for row in rows)
    liaison = api(client, world.tokens["admin"], f"/enterprises/{world.e1}").get_json()["liaison"]
    assert liaison == {"name": ERASED_NAME, "position": "", "mobile": "", "landline": "", "email": ""}

    # Never twice, never undone.
    again = _erase(world, ERASED_NAME)
    assert again.status_code == 302
    assert len(events(world.id, AuditEvent.action == "erase")) == 1
    with tenant_scope(world.id):
        with pytest.raises(MemberError):
            set_liaison(db.session.get(Enterprise, world.e1), ERASED_NAME, mobile="13912345678")
        db.session.rollback()
    form = text(world.c["admin"].get(f"{world.url}/{world.e1}/liaison"))
    assert f'value="{ERASED_NAME}"' not in form
    # A new liaison is named as usual and the erased row stays in the history, dated.
    with tenant_scope(world.id):
        set_liaison(db.session.get(Enterprise, world.e1), "王新", mobile="13700000000", on=date.today())
        db.session.commit()
        assert db.session.get(LiaisonPerson, world.person1).ended_on == date.today()
        assert db.session.get(LiaisonPerson, world.person1).name == ERASED_NAME


def test_erasure_reaches_a_referral_that_quoted_the_person(world):
    from tenants.referrals.models import Referral
    from tenants.stations.models import ServiceLog, Station

    with tenant_scope(world.id):
        station = Station(name="指导站")
        db.session.add(station)
        db.session.flush()
        entry = ServiceLog(served_on=date(2025, 3, 5), station_id=station.id, category="complaint",
                           case_status="referred", enterprise_id=world.e1, summary="投诉")
        db.session.add(entry)
        db.session.flush()
        referral = Referral(service_log_id=entry.id, station_name="指导站", summary="投诉", request="调查",
                            contact=f"{E1['name']} {E1['mobile']}")
        db.session.add(referral)
        db.session.commit()
        referral_id = referral.id
    assert _erase(world, E1["name"]).status_code == 302
    db.session.rollback()
    with tenant_scope(world.id):
        contact = db.session.get(Referral, referral_id).contact
    assert E1["name"] not in contact and E1["mobile"] not in contact
    logged = events(world.id, AuditEvent.object_type == "Referral", AuditEvent.object_id == referral_id)
    assert logged and E1["mobile"] not in json.dumps([e.changes for e in logged], ensure_ascii=False)


def test_erase_page_is_a_confirmation(world):
    page = text(world.c["admin"].get(f"{world.url}/{world.e1}/liaisons/{world.person1}/erase"))
    assert "cannot be undone" in page and E1["name"] in page
    show = text(world.c["admin"].get(f"{world.url}/{world.e1}"))
    assert f"/liaisons/{world.person1}/erase" in show
    assert f"/liaisons/{world.person1}/erase" not in text(world.c["staff"].get(f"{world.url}/{world.e1}"))


# --- retention -----------------------------------------------------------------------------------

def test_retention_deletes_old_rows_and_keeps_recent_ones(app, world):
    from saas.retention import purge, schedule_nightly

    now = utcnow()
    with tenant_scope(world.id):
        old = AuditEvent(user_id=None, action="update", object_type="Enterprise", object_id=world.e1,
                         label="旧", changes={}, created_at=now - timedelta(days=400))
        recent = AuditEvent(user_id=None, action="update", object_type="Enterprise", object_id=world.e1,
                            label="新", changes={}, created_at=now - timedelta(days=100))
        db.session.add_all([old, recent])
        db.session.commit()
        old_id, recent_id = old.id, recent.id
    admin_id = world.user_ids["admin"]
    db.session.add_all([
        SignedOutSession(sid="gone-long-ago", expires_at=now - timedelta(days=40)),
        SignedOutSession(sid="expired-recently", expires_at=now - timedelta(days=5)),
        SignedOutSession(sid="still-valid", expires_at=now + timedelta(days=5)),
        KnownSignIn(user_id=admin_id, source="old-device", last_seen_at=now - timedelta(days=200)),
        KnownSignIn(user_id=admin_id, source="new-device", last_seen_at=now - timedelta(days=20)),
    ])
    db.session.commit()

    # Defaults: the audit log kept for ever; expired sign-outs go; devices after 180 days.
    purge(now)
    with tenant_scope(world.id):
        assert db.session.get(AuditEvent, old_id) is not None
    sids = set(db.session.scalars(sa.select(SignedOutSession.sid)))
    assert sids == {"still-valid"}
    sources = set(db.session.scalars(sa.select(KnownSignIn.source).where(KnownSignIn.user_id == admin_id)))
    assert "old-device" not in sources and "new-device" in sources

    app.config.update(AUDIT_RETENTION_DAYS=365, KNOWN_SIGN_IN_DAYS=10, SESSION_RETENTION_DAYS=30)
    try:
        db.session.add(SignedOutSession(sid="expired-recently", expires_at=now - timedelta(days=5)))
        db.session.commit()
        done = purge(now)
    finally:
        app.config.update(AUDIT_RETENTION_DAYS=0, KNOWN_SIGN_IN_DAYS=180, SESSION_RETENTION_DAYS=0)
    assert done["audit_event"] == 1 and done["known_sign_in"] == 1
    db.session.rollback()
    with tenant_scope(world.id):
        assert db.session.get(AuditEvent, old_id) is None and db.session.get(AuditEvent, recent_id) is not None
    assert "expired-recently" in set(db.session.scalars(sa.select(SignedOutSession.sid)))  # kept 30 days more
    assert "new-device" not in set(db.session.scalars(sa.select(KnownSignIn.source)))
    assert schedule_nightly in app.extensions["worker_schedules"]


@pytest.mark.parametrize("name, value", [("AUDIT_RETENTION_DAYS", "30"), ("KNOWN_SIGN_IN_DAYS", "0"),
                                         ("SESSION_RETENTION_DAYS", "-1")])
def test_retention_settings_are_checked(name, value, monkeypatch, tmp_path):
    from saas.config import ConfigError, load_config, validate

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        validate(load_config(str(tmp_path)))


def test_an_erased_person_is_not_filled_in_again_by_the_api_or_an_import(world, client):
    assert _erase(world, E1["name"]).status_code == 302
    patched = client.patch(f"{API}/tenants/pii/enterprises/{world.e1}",
                           headers={"Authorization": f"Bearer {world.tokens['admin']}"},
                           json={"liaison": {"name": ERASED_NAME, "mobile": E1["mobile"]}})
    assert patched.status_code == 422 and "name" in patched.get_json()["error"]["fields"]
    # An export with contacts, re-imported: the erased row stays erased.
    page = world.c["admin"].get(f"{world.url}/export")
    sheet = world.c["admin"].post(f"{world.url}/export", data={"csrf_token": csrf(page), "format": "xlsx",
                                                              "contacts": "y"}).data
    book = openpyxl.load_workbook(io.BytesIO(sheet))
    ws = book.active
    header = [c.value for c in ws[2]]
    for row in ws.iter_rows(min_row=4):
        if row[0].value == "甲一科技有限公司":
            row[header.index("联络员手机")].value = E1["mobile"]
    out = io.BytesIO()
    book.save(out)
    response = world.c["admin"].post(f"{world.url}/import", data={"mode": "update", "file": (io.BytesIO(out.getvalue()), "r.xlsx")},
                                     content_type="multipart/form-data")
    assert response.status_code == 200
    db.session.rollback()
    with tenant_scope(world.id):
        row = db.session.get(LiaisonPerson, world.person1)
        assert (row.name, row.mobile) == (ERASED_NAME, "")
