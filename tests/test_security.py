"""Security basics across the product: CSRF on every form, sessions, stored XSS in pages and
exports, hostile uploads."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from saas.extensions import db
from saas.files import Attachment
from saas.tenancy import tenant_scope

from .factories import Factory
from .test_isolation import build, tenant_rules, two_tenants  # noqa: F401  (fixture)

HOSTILE = ["<script>alert(1)</script>", "=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0",
           "@SUM(1+1)", "-2+3", "<img src=x onerror=alert(1)>"]


def test_every_form_rejects_a_missing_csrf_token(app, two_tenants, monkeypatch):  # noqa: F811
    a, _b, ids = two_tenants
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    client = app.test_client()
    assert client.post("/login", data={"email": "admin-a@example.com", "password": Factory.PASSWORD}).status_code == 302
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if rule.rule.startswith("/t/"):
            url = build(rule, a.slug, ids)
        elif rule.arguments:
            values = {"code": "en", "token": "x", "tenant_id": a.id, "bureau_id": 1, "user_id": 1, "token_id": 1,
                      "year": 2025, "invitation_id": 1, "answer": "accept",
                      "bureau_round_id": 1, "bureau_publication_id": 1}
            url = rule.rule
            for arg in rule.arguments:
                url = re.sub(rf"<(?:[^<>]+:)?{arg}>", str(values[arg]), url)
        else:
            url = rule.rule
        response = client.post(url, data={"anything": "1"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        checked += 1
    assert checked >= 40


def test_a_new_session_at_sign_in_and_sign_out_ends_it(app, make):
    make.user("u@example.com")
    client = app.test_client()
    client.post("/lang/en", data={"next": "/login"})
    before = client.get_cookie("session").value
    client.post("/login", data={"email": "u@example.com", "password": Factory.PASSWORD})
    after = client.get_cookie("session").value
    assert before != after
    assert client.get("/account").status_code == 200
    # A copy of the signed-in cookie stops working once its owner signs out.
    thief = app.test_client()
    thief.set_cookie("session", after)
    assert thief.get("/account").status_code == 200
    client.post("/logout")
    assert thief.get("/account").status_code == 302


def test_sign_out_is_recorded_once_and_old_records_are_dropped(app, make):
    from datetime import timedelta

    from saas.auth.models import SignedOutSession
    from saas.tenancy import utcnow

    make.user("u@example.com")
    with app.app_context():
        db.session.add(SignedOutSession(sid="expired-long-ago", expires_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "u@example.com", "password": Factory.PASSWORD})
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert client.post("/logout").status_code == 302
    # The copy signs out the same session again: no error, still one record.
    assert copy.post("/logout").status_code == 302
    with app.app_context():
        sids = db.session.scalars(sa.select(SignedOutSession.sid)).all()
    assert len(sids) == 1 and sids[0] != "expired-long-ago"


def test_limits_on_page_views_still_apply_and_other_pages_skip_the_limiter(app, make, login_as):
    # The calendar feed is a GET outside the API with its own limit: it must still count.
    client = app.test_client()
    statuses = [client.get("/calendar/not-a-token.ics").status_code for _ in range(61)]
    assert statuses == [404] * 60 + [429]
    tenant = make.tenant(slug="lim")
    make.user("admin@example.com", tenant=tenant, role="admin")
    assert login_as("admin@example.com").get("/t/lim/").status_code == 200
    known = app.extensions["unlimited_endpoints"]
    assert known["dashboard.index"] is True and known["deadlines.calendar"] is False


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_inert_in_pages_and_exports(app, make, login_as, text):
    tenant = make.tenant(slug="xss")
    make.user("admin@example.com", tenant=tenant, role="admin")
    enterprise_id = make.enterprise(tenant, name=f"公司{text}", industry=text, liaison=text)
    client = login_as("admin@example.com")
    for url in ("/t/xss/members/", f"/t/xss/members/{enterprise_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "<img src=x onerror" not in page
    sheet = load_workbook(io.BytesIO(client.get("/t/xss/members/export.xlsx").data)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value and text in str(c.value)]
    assert cells, "the text is exported"
    assert all(c.data_type == "s" for c in cells)  # text, never a formula
    rows = list(csv.reader(io.StringIO(client.get("/t/xss/members/export.csv").data.decode("utf-8-sig"))))
    values = {v for row in rows for v in row}
    if text[0] in "=+-@":  # the industry column holds exactly the text: prefixed so Excel keeps it text
        assert "'" + text in values and text not in values
    else:
        assert text in values


def _zip_bomb_xlsx() -> bytes:
    good = io.BytesIO()
    wb = Workbook()
    wb.active.append(["企业名称", "统一社会信用代码"])
    wb.save(good)
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        # 300 MB of zeros compress to a few hundred KB.
        dst.writestr("xl/media/padding.bin", b"\0" * (300 * 1024 * 1024))
    return out.getvalue()


def test_zip_bomb_inside_xlsx_is_refused(app, make, login_as):
    tenant = make.tenant(slug="bomb", default_locale="en")
    make.user("admin@example.com", tenant=tenant, role="admin")
    data = _zip_bomb_xlsx()
    assert len(data) < 2 * 1024 * 1024
    response = login_as("admin@example.com").post(
        "/t/bomb/members/import", data={"file": (io.BytesIO(data), "名录.xlsx"), "mode": "create"},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "unpacks" in response.get_data(as_text=True)


def test_path_traversal_in_upload_names_stays_inside_the_upload_dir(app, make, login_as):
    from pathlib import Path

    tenant = make.tenant(slug="trav")
    make.user("admin@example.com", tenant=tenant, role="admin")
    enterprise_id = make.enterprise(tenant)
    client = login_as("admin@example.com")
    response = client.post(f"/t/trav/members/{enterprise_id}/evidence",
                           data={"file": (io.BytesIO(b"%PDF-1.4\n%test\n"), "../../../../etc/passwd.pdf"), "label": ""},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with tenant_scope(tenant.id):
        attachment = db.session.scalar(sa.select(Attachment))
    assert attachment.filename == "passwd.pdf"
    root = Path(app.config["UPLOAD_DIR"]).resolve()
    assert root in (root / attachment.stored_name).resolve().parents
    assert ".." not in attachment.stored_name




def test_nul_bytes_are_a_bad_request_not_a_crash(app, make, login_as):
    """PostgreSQL refuses NUL in text; the app answers 400 before it gets there."""
    tenant = make.tenant(slug="nul")
    make.user("admin@example.com", tenant=tenant, role="admin")
    client = login_as("admin@example.com")
    assert client.post("/t/nul/stations/new", data={"name": "站\x00", "office": "independent"}).status_code == 400
    assert client.get("/t/nul/members/?q=a\x00b").status_code == 400
    from saas.api.tokens import issue
    from saas.auth.models import User

    _token, raw = issue(User.by_email("admin@example.com"), tenant)
    db.session.commit()
    response = app.test_client().post("/api/v1/tenants/nul/stations", json={"name": "站\u0000"},
                                      headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
