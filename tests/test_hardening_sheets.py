"""Issue 18 (spreadsheets and documents): uploaded workbooks read by one guarded reader (zip
bombs, lying dimensions, DOCTYPE), an update import that leaves absent columns alone and
previews every change, control characters dropped at the input and harmless in old data, and
one writer for every spreadsheet cell."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document
from flask_babel import force_locale
from openpyxl import load_workbook

from saas import workbook
from saas.api.tokens import issue
from saas.auth.models import User
from saas.extensions import db
from saas.files import UploadError
from saas.tenancy import Tenant, tenant_scope
from tenants.applications.models import Application
from tenants.members.models import Enterprise, LiaisonPerson
from tenants.members.spreadsheet import COLUMNS, CONTACT_KEYS, MAX_ROWS
from tenants.stations.models import ServiceLog, Station

from .factories import credit_code_for
from .test_api import conform, spec_of
from .test_jobs import run_worker
from .test_member_import import confirm_import, filled_template, post_import, preview_of, row
from .test_members import count, park, reading, text  # noqa: F401  (park is a fixture)

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1/tenants/park"

# --- a workbook made by hand, part by part -------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns='
    '"http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
    '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG}">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" '
    f'xmlns:r="{REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
    f'xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'</Relationships>',
}


def xml_row(n: int, values) -> bytes:
    cells = "".join(f'<c r="{chr(65 + i)}{n}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values) if v is not None)
    return f'<row r="{n}">{cells}</row>'.encode()


def sheet_xml(body: bytes, dimension: str | None = None, prolog: bytes = DECLARATION) -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return prolog + f'<worksheet xmlns="{MAIN}">'.encode() + dim + b"<sheetData>" + body + b"</sheetData></worksheet>"


def raw_xlsx(sheet: bytes, parts: dict | None = None) -> bytes:
    """A workbook of PARTS (or `parts` instead) with `sheet` as its only worksheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in {**PARTS, **(parts or {})}.items():
            z.writestr(name, data)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


HEADER = ["企业名称", "统一社会信用代码"]


def roster_rows(*rows) -> bytes:
    return b"".join(xml_row(n, values) for n, values in enumerate([HEADER, *rows], start=1))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """The attack of the issue: a header, then 5 million empty rows — 30 MB of XML in 45 KB."""
    return raw_xlsx(sheet_xml(roster_rows() + b"<row/>" * 5_000_000))


@contextmanager
def english(app):
    """A request context whose messages are in English, as asserted."""
    with app.test_request_context(), force_locale("en"):
        yield


def api_client(app, tenant_id: int, email="admin@example.com"):
    """A test client sending a bearer token of the user in the tenant."""
    _token, raw = issue(User.by_email(email), db.session.get(Tenant, tenant_id))
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def api_import(client, data: bytes, mode="create", **form):
    return client.post(f"{API}/enterprises/import", data={"file": (io.BytesIO(data), "roster.xlsx"), "mode": mode,
                                                          **form}, content_type="multipart/form-data")


def sign_in_event(park, make) -> str:
    from tenants.training.models import TrainingEvent

    make.enterprise(park.tenant, name="A 企业")
    with tenant_scope(park.id):
        event = TrainingEvent(title="培训", held_on=date(2025, 5, 1), hours=2, organiser="base")
        db.session.add(event)
        db.session.commit()
        return f"/t/park/training/{event.id}/sign-in"


def post_sign_in(client, url, data: bytes):
    return client.post(url, data={"file": (io.BytesIO(data), "签到表.xlsx")}, content_type="multipart/form-data")


# --- 3. one guarded reader for uploaded workbooks ------------------------------------------------

def test_a_hand_made_workbook_imports(park):
    """The workbook the attacks below are made from is a valid one."""
    data = raw_xlsx(sheet_xml(roster_rows(["星辰科技", credit_code_for(1)])))
    assert post_import(park.admin, park.url, data).status_code == 302
    assert count(park.id, Enterprise) == 1


def test_millions_of_empty_rows_are_refused_by_the_zip_check(park, make, app, bomb):
    assert len(bomb) < 100_000
    with english(app), pytest.raises(UploadError, match="far more data"):
        workbook.check(bomb)
    response = post_import(park.admin, park.url, bomb)
    assert response.status_code == 400 and "unpacks to far more data than a spreadsheet holds" in text(response)
    response = post_sign_in(park.admin, sign_in_event(park, make), bomb)
    assert response.status_code == 400 and "unpacks to far more data" in text(response)
    response = api_import(api_client(app, park.id), bomb)
    assert response.status_code == 422 and "far more data" in response.get_json()["error"]["fields"]["file"]
    assert count(park.id, Enterprise) == 1  # sign_in_event's


def test_zip_directory_limits(app):
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as z:
        for name, data in PARTS.items():
            z.writestr(name, data)
        for i in range(workbook.MAX_ENTRIES):
            z.writestr(f"xl/media/{i}.png", b"x")
    stored_big = io.BytesIO()
    with zipfile.ZipFile(stored_big, "w", zipfile.ZIP_STORED) as z:  # no ratio to catch, only the size
        z.writestr("xl/worksheets/sheet1.xml", b" " * 3_000_000)
    lzma = io.BytesIO()
    with zipfile.ZipFile(lzma, "w", zipfile.ZIP_LZMA) as z:
        z.writestr("xl/workbook.xml", PARTS["xl/workbook.xml"])
    with english(app):
        with pytest.raises(UploadError, match="too many parts"):
            workbook.check(many.getvalue())
        with pytest.raises(UploadError, match="more than 2 MB"):
            workbook.check(stored_big.getvalue(), max_unpacked=2 * 1024 * 1024)
        with pytest.raises(UploadError, match="could not be read"):
            workbook.check(lzma.getvalue())


def test_a_dimension_that_lies_neither_caps_nor_widens_the_rows(park, app):
    # It claims two rows: every row is still read, up to the cap, and more is refused, not cut.
    rows = [[f"企业{n}", credit_code_for(n)] for n in range(1, MAX_ROWS + 1)]
    data = raw_xlsx(sheet_xml(roster_rows(*rows), dimension="A1:B2"))
    with english(app), pytest.raises(UploadError, match=f"more than {MAX_ROWS} rows"):
        list(workbook.rows(data, max_rows=MAX_ROWS, max_cols=64))
    # So large a file is the worker's (202): its job fails with the same reason.
    response = api_import(api_client(app, park.id), data)
    assert response.status_code == 202 and response.get_json()["job"]["status"] == "queued"
    # It claims the whole sheet: rows stay as wide as the cap, and the import works.
    data = raw_xlsx(sheet_xml(roster_rows(["星辰科技", credit_code_for(1)]), dimension="A1:XFD1048576"))
    with english(app):
        assert [len(values) for _n, values in workbook.rows(data, max_rows=10, max_cols=5)] == [5, 5]
    assert post_import(park.admin, park.url, data).status_code == 302
    assert count(park.id, Enterprise) == 1


def test_a_row_a_million_rows_down_ends_the_sheet_early(park):
    """openpyxl fills the gap with empty rows one by one; a long run of them ends the sheet."""
    data = raw_xlsx(sheet_xml(roster_rows(["星辰科技", credit_code_for(1)]) + xml_row(1_048_576, ["x", "y"])))
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 302, text(response)
    assert count(park.id, Enterprise) == 1


def test_the_worker_decision_does_not_trust_the_dimension(park):
    """350 rows under a dimension that claims two: the rows read, not the claim, send it to
    the worker."""
    data = raw_xlsx(sheet_xml(roster_rows(*([f"企业{n}", credit_code_for(n)] for n in range(1, 351))),
                              dimension="A1:B2"))
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 302 and re.search(r"/t/park/jobs/\d+$", response.headers["Location"])
    assert count(park.id, Enterprise) == 0


DOCTYPE = b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [<!ENTITY e "e">]>\n'


@pytest.mark.parametrize("part", ["sheet", "workbook"])
def test_a_doctype_is_a_clear_4xx(park, make, app, part):
    body = roster_rows(["星辰科技", credit_code_for(1)])
    if part == "sheet":
        data = raw_xlsx(sheet_xml(body, prolog=DOCTYPE))
    else:  # entities that expand (billion laughs) in the part read first
        data = raw_xlsx(sheet_xml(body), {"xl/workbook.xml": PARTS["xl/workbook.xml"].replace(
            "<workbook", '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><workbook')})
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 400 and "document type declaration" in text(response)
    assert post_sign_in(park.admin, sign_in_event(park, make), data).status_code == 400
    response = api_import(api_client(app, park.id), data)
    assert response.status_code == 422 and "DOCTYPE" in response.get_json()["error"]["fields"]["file"]
    assert count(park.id, Enterprise) == 1  # sign_in_event's


def test_xml_parts_in_other_encodings_are_refused(park):
    """In UTF-16 (or a declared EBCDIC) a DOCTYPE would not show in the bytes."""
    utf16 = sheet_xml(roster_rows(), prolog=b"").decode().replace(
        "<worksheet", '<?xml version="1.0" encoding="UTF-16"?><worksheet').encode("utf-16")
    ebcdic = sheet_xml(roster_rows(), prolog=b'<?xml version="1.0" encoding="cp037"?>\n')
    for sheet in (utf16, ebcdic):
        response = post_import(park.admin, park.url, raw_xlsx(sheet))
        assert response.status_code == 400 and "could not be read as an Excel workbook" in text(response)


def test_a_broken_sheet_is_a_4xx_not_a_500(park, make, app):
    data = raw_xlsx(sheet_xml(roster_rows()).replace(b"</sheetData>", b"<row><c>"))
    assert post_import(park.admin, park.url, data).status_code == 400
    assert post_sign_in(park.admin, sign_in_event(park, make), data).status_code == 400
    assert api_import(api_client(app, park.id), data).status_code == 422


def test_a_sign_in_sheet_has_a_tighter_size_cap(park, make, monkeypatch):
    """A sign-in sheet is small; the reader is asked for less than the roster import allows."""
    monkeypatch.setattr("tenants.training.services.SIGN_IN_BYTES", 1024 * 1024)
    url = sign_in_event(park, make)
    data = raw_xlsx(sheet_xml(xml_row(1, ["A 企业", "3"])), {"xl/media/image1.png": os.urandom(1024 * 1024)})
    response = post_sign_in(park.admin, url, data)
    assert response.status_code == 400 and "unpacks to more than 1 MB" in text(response)


@pytest.mark.slow
def test_a_large_update_is_previewed_by_the_worker_then_imported(park, make):
    """Over BACKGROUND_BYTES, even working out the preview is the worker's job."""
    make.enterprise(park.tenant, name="老企业", credit_code=credit_code_for(1), employees=310)
    rows = [row(1, employees=320), *(row(n) for n in range(2, 1501))]
    response = post_import(park.admin, park.url, filled_template(park.admin, park.url, rows), mode="update")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert re.search(r"/t/park/members/import/preview/\d+$", preview_url)
    assert 'id="job"' in text(park.admin.get(preview_url))  # progress, polled by app.js
    run_worker()
    preview = park.admin.get(preview_url)
    assert "1499 new, 1 changed, 0 unchanged." in text(preview)
    assert ("职工人数", "310", "320") in preview_of(preview)[credit_code_for(1)]
    assert count(park.id, Enterprise) == 1
    response = confirm_import(park.admin, park.url, preview)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    run_worker()
    assert count(park.id, Enterprise) == 1500
    with reading(park.id) as s:
        assert s.scalar(sa.select(Enterprise.employees).where(Enterprise.credit_code == credit_code_for(1))) == 320


# --- 4. an update import changes the columns it has, and shows how ---------------------------------

@pytest.fixture
def two(park, make):
    """Two members with employee counts, an industry and a liaison with every detail."""
    a = make.enterprise(park.tenant, name="甲企业", credit_code=credit_code_for(1), employees=310, industry="软件")
    b = make.enterprise(park.tenant, name="乙企业", credit_code=credit_code_for(2), employees=1200)
    with tenant_scope(park.id):
        person = db.session.scalar(sa.select(LiaisonPerson).where(LiaisonPerson.enterprise_id == a))
        person.position, person.landline = "主任", "023-12345678"
        db.session.commit()
    return a, b


def columns_sheet(columns: list[str], *rows) -> bytes:
    """A sheet with just these Chinese headers."""
    return raw_xlsx(sheet_xml(b"".join(xml_row(n, values) for n, values in enumerate([columns, *rows], start=1))))


def state(tenant_id):
    with reading(tenant_id) as s:
        out = {}
        for e in s.scalars(sa.select(Enterprise).order_by(Enterprise.id)):
            p = e.current_liaison
            out[e.name] = (e.employees, e.industry, p and (p.name, p.position, p.mobile, p.landline, p.email))
        return out


def test_absent_columns_leave_their_fields_alone(park, two):
    before = state(park.id)
    assert before["甲企业"][0] == 310 and before["乙企业"][0] == 1200
    data = columns_sheet(HEADER, ["甲企业", credit_code_for(1)], ["乙企业", credit_code_for(2)])
    preview = post_import(park.admin, park.url, data, mode="update")
    assert "0 new, 0 changed, 2 unchanged." in text(preview) and preview_of(preview) == {}
    confirm_import(park.admin, park.url, preview)
    assert state(park.id) == before
    # The liaison's name alone: the same person keeps every detail the sheet does not name.
    data = columns_sheet([*HEADER, "联络员"], ["甲企业", credit_code_for(1), "联络员"])
    preview = post_import(park.admin, park.url, data, mode="update")
    assert preview_of(preview) == {}
    confirm_import(park.admin, park.url, preview)
    assert state(park.id) == before


def test_empty_cells_clear_fields_and_the_preview_says_so(park, two):
    data = columns_sheet([*HEADER, "职工人数", "所属行业", "联络员", "联络员职务"],
                         ["甲企业", credit_code_for(1), None, None, "联络员", None],
                         ["乙企业", credit_code_for(2), "1300", None, None, None])
    preview = post_import(park.admin, park.url, data, mode="update")
    assert "0 new, 2 changed, 0 unchanged." in text(preview)
    assert preview_of(preview) == {
        credit_code_for(1): [("所属行业", "软件", "(blank)"), ("职工人数", "310", "0"), ("联络员职务", "主任", "(blank)")],
        credit_code_for(2): [("职工人数", "1200", "1300")]}
    assert state(park.id)["甲企业"][0] == 310  # nothing written yet
    response = confirm_import(park.admin, park.url, preview, follow_redirects=True)
    assert "Import done: 0 created, 2 updated, 0 unchanged." in text(response)
    after = state(park.id)
    assert after["甲企业"] == (0, "", ("联络员", "", "13800000000", "023-12345678", after["甲企业"][2][4]))
    assert after["乙企业"][:2] == (1300, "")


def test_the_confirmation_needs_this_tenants_waiting_file(park, two, make, login_as):
    data = columns_sheet([*HEADER, "职工人数"], ["甲企业", credit_code_for(1), "5"])
    preview = post_import(park.admin, park.url, data, mode="update")
    upload = re.search(r'name="upload" value="([0-9a-f]{32})"', text(preview)).group(1)
    other = make.tenant(slug="other")
    make.user("other@example.com", tenant=other, role="admin")
    client = login_as("other@example.com")
    for token in (upload, "../" + upload, "x" * 32):
        response = client.post("/t/other/members/import/confirm", data={"upload": token, "mode": "update"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/t/other/members/import")
    assert state(park.id)["甲企业"][0] == 310
    confirm_import(park.admin, park.url, preview)
    assert state(park.id)["甲企业"][0] == 5
    # Used once: the file is gone.
    assert park.admin.post(f"{park.url}/import/confirm", data={"upload": upload, "mode": "update"}).status_code == 302
    assert not (Path(park.admin.application.config["UPLOAD_DIR"]) / str(park.id) / "imports" / f"{upload}.xlsx").exists()


def test_api_update_keeps_absent_columns_and_previews_blanks(park, two, app):
    client = api_client(app, park.id)
    before = state(park.id)
    response = api_import(client, columns_sheet(HEADER, ["甲企业", credit_code_for(1)], ["乙企业", credit_code_for(2)]),
                          mode="update")
    assert response.status_code == 200, response.get_json()
    assert state(park.id) == before
    data = columns_sheet([*HEADER, "职工人数", "所属行业"], ["甲企业", credit_code_for(1), None, None])
    response = api_import(client, data, mode="update", preview="true")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 0)
    assert body["changes"] == [{"row": 2, "name": "甲企业", "credit_code": credit_code_for(1), "fields": [
        {"field": "industry", "column": "所属行业", "old": "软件", "new": ""},
        {"field": "employees", "column": "职工人数", "old": 310, "new": 0}]}]
    conform(spec_of(client), "POST", "/api/v1/tenants/{tenant_slug}/enterprises/import", response)
    assert state(park.id) == before  # a preview writes nothing
    assert api_import(client, data, mode="update", preview="maybe").status_code == 422
    assert api_import(client, data, mode="update").status_code == 200
    assert state(park.id)["甲企业"][:2] == (0, "")


# --- 7. characters XML cannot carry ------------------------------------------------------------

def test_forms_drop_control_characters(park, make):
    response = park.admin.post(f"{park.url}/new", data={"name": "星辰\x0b科技\x1f有限公司", "credit_code": credit_code_for(7),
                                                       "industry": "软\x0c件", "employees": "5",
                                                       "joined_on": "2024-01-01"})
    assert response.status_code == 302, text(response)
    with reading(park.id) as s:
        enterprise = s.scalar(sa.select(Enterprise))
        assert (enterprise.name, enterprise.industry) == ("星辰科技有限公司", "软件")
    with tenant_scope(park.id):
        station = Station(name="指导站")
        db.session.add(station)
        db.session.commit()
        station_id = station.id
    response = park.admin.post("/t/park/stations/log/new", data={
        "served_on": "2025-03-01", "station_id": str(station_id), "category": "consultation", "enterprise_id": "0",
        "non_member": "园区外\x0b某公司", "handled_by": "李晓梅", "summary": "咨询\x0b保密协议\x01", "outcome": "已答复\r\n完毕",
        "case_status": "received", "follow_up": "done"})
    assert response.status_code == 302, text(response)
    # A view that reads the form by hand gets the same clean text.
    response = park.admin.post(f"{park.url}/{enterprise.id}/checklist", data={"state-five.rules": "in_place",
                                                                             "note-five.rules": "制度\x0b已建"})
    assert response.status_code == 302
    with reading(park.id) as s:
        log = s.scalar(sa.select(ServiceLog))
        assert (log.non_member, log.summary, log.outcome) == ("园区外某公司", "咨询保密协议", "已答复\r\n完毕")
        from tenants.members.models import ChecklistItem

        assert s.scalar(sa.select(ChecklistItem.note)) == "制度已建"


def test_the_api_drops_control_characters(park, app):
    client = api_client(app, park.id)
    response = client.post(f"{API}/enterprises", json={"name": "星辰\x0b科技有限公司", "credit_code": credit_code_for(8),
                                                      "liaison": {"name": "张\x0b三", "mobile": "13800000000"}})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "星辰科技有限公司"
    with tenant_scope(park.id):
        station = Station(name="指导站")
        db.session.add(station)
        db.session.commit()
        station_id = station.id
    response = client.post(f"{API}/service-logs", json={"served_on": "2025-03-05", "station_id": station_id,
                                                       "category": "consultation", "non_member": "某\x0b公司",
                                                       "summary": "咨询\x0b\ufffe"})
    assert response.status_code == 201, response.get_json()
    with reading(park.id) as s:
        assert s.scalar(sa.select(LiaisonPerson.name)) == "张三"
        assert s.scalar(sa.select(ServiceLog.summary)) == "咨询"


def test_old_data_with_control_characters_still_exports(park, make, app):
    enterprise_id = make.enterprise(park.tenant, name="旧\x0b数据有限公司", industry="\x0b=1+2", liaison="王\x0b五")
    with tenant_scope(park.id):
        station = Station(name="指导\x0b站")
        db.session.add(station)
        db.session.flush()
        db.session.add(ServiceLog(served_on=date(2025, 3, 1), station_id=station.id, category="consultation",
                                  enterprise_id=enterprise_id, summary="咨询\x0b\x01"))
        application_id = Application(scheme="cq-park", year=2025, status="draft",
                                     sections={"basic": "概况\x0b第二行"})
        db.session.add(application_id)
        db.session.commit()
        application_id = application_id.id
    for url in (f"{park.url}/export.xlsx", f"{park.url}/ledger.xlsx", "/t/park/stations/log/export.xlsx"):
        response = park.admin.get(url)
        assert response.status_code == 200, url
        values = [c.value for ws in load_workbook(io.BytesIO(response.data)).worksheets
                  for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
        assert any("旧数据有限公司" in v for v in values), url
        assert not any("\x0b" in v for v in values)
    ws = load_workbook(io.BytesIO(park.admin.get(f"{park.url}/export.xlsx").data)).active
    assert ws.cell(3, 3).value == "=1+2" and ws.cell(3, 3).data_type == "s"  # stripped, then still text
    response = park.admin.get(f"/t/park/applications/{application_id}/dossier.docx")
    assert response.status_code == 200
    assert "旧数据有限公司" in "".join(c.text for t in Document(io.BytesIO(response.data)).tables
                                  for r in t.rows for c in r.cells)
    # A submitted application's frozen snapshot holds the old text for ever: still a document.
    with app.test_request_context("/t/park/"), tenant_scope(park.id):
        from flask import g

        from saas.tenancy import Tenant
        from tenants.applications import dossier

        g.tenant = db.session.get(Tenant, park.id)
        application = db.session.get(Application, application_id)
        snapshot = dossier.build(application, g.tenant)
        snapshot["sections"][0]["text"] += "\x0b\x1f"
        application.snapshot, application.status = snapshot, "submitted"
        db.session.commit()
    response = park.admin.get(f"/t/park/applications/{application_id}/dossier.docx")
    assert response.status_code == 200
    assert "概况第二行" in "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)


# --- 10. one writer for every cell ---------------------------------------------------------------

WRITERS = {"saas/xlsx.py"}
READERS = {"saas/workbook.py"}


def test_only_saas_xlsx_writes_spreadsheets():
    """Every export goes through saas/xlsx.py (text as text, no control characters): nobody
    else imports openpyxl, appends to a worksheet, writes a cell or a CSV row."""
    direct = re.compile(r"\bfrom openpyxl\b|\bimport openpyxl\b|\bws\.append\(|\.cell\(|\bws\[|\.value\s*=|"
                        r"csv\.writer\(|\bwriterow")
    offenders = []
    for path in sorted([*ROOT.joinpath("saas").rglob("*.py"), *ROOT.joinpath("tenants").rglob("*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if relative in WRITERS or relative in READERS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if direct.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "write cells through saas.xlsx:\n" + "\n".join(offenders)


def test_a_tenant_named_like_a_formula_is_text_in_the_roster(app, make, login_as):
    name = '=HYPERLINK("http://x","y")'
    tenant = make.tenant(slug="formula", name=name)
    make.user("admin@example.com", tenant=tenant, role="admin")
    enterprise_id = make.enterprise(tenant, name="公司")
    with tenant_scope(tenant.id):
        db.session.get(Enterprise, enterprise_id).industry = "\t=1+2"  # the forms strip the tab; old data
        db.session.commit()
    client = login_as("admin@example.com")
    ws = load_workbook(io.BytesIO(client.get("/t/formula/members/export.xlsx").data)).active
    assert ws.cell(1, 1).data_type == "s" and ws.cell(1, 1).value.startswith(name)
    template = load_workbook(io.BytesIO(client.get("/t/formula/members/import/template.xlsx").data)).active
    assert all(c.data_type == "s" for r in template.iter_rows() for c in r if c.value)
    rows = list(csv.reader(io.StringIO(client.get("/t/formula/members/export.csv").data.decode("utf-8-sig"))))
    assert rows[1][2] == "'\t=1+2"  # a leading tab starts a formula in Excel too
    # Without the liaison's contact details unless asked for (tests/test_personal_data.py).
    assert [h for h in rows[0]] == [zh for k, zh, _en in COLUMNS if k not in CONTACT_KEYS]


@pytest.mark.slow
def test_a_large_import_through_the_api_goes_to_the_worker_and_is_polled(app, park, make):
    """The API too runs a large import in the worker: 202 with the job, polled at its URL until
    done; the job of another tenant is a 404."""
    client = api_client(app, park.id)
    data = filled_template(park.admin, park.url, [row(n) for n in range(1, 400)])
    response = api_import(client, data)
    assert response.status_code == 202, response.get_data(as_text=True)
    job = response.get_json()["job"]
    assert job["status"] == "queued" and count(park.id, Enterprise) == 0
    conform(spec_of(app.test_client()), "post", "/api/v1/tenants/{tenant_slug}/enterprises/import", response)
    run_worker()
    polled = client.get(job["url"])
    assert polled.status_code == 200 and polled.get_json()["status"] == "done", polled.get_json()
    assert polled.get_json()["result"]["created"] == 399 and count(park.id, Enterprise) == 399
    conform(spec_of(app.test_client()), "get", "/api/v1/tenants/{tenant_slug}/jobs/{job_id}", polled)
    other = make.tenant(slug="other")
    make.user("other@example.com", tenant=other, role="admin")
    outsider = api_client(app, other.id, "other@example.com")
    assert outsider.get(f"/api/v1/tenants/other/jobs/{job['id']}").status_code == 404
