"""Member roster import (validated, all-or-nothing, large files on a real worker) and exports
(roster .xlsx/.csv, ledger), including the export → import round trip."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from saas.audit import AuditEvent
from saas.extensions import db
from saas.jobs import JobRecord
from saas.tenancy import tenant_scope
from tenants.members.checklists import ITEMS
from tenants.members.models import ChecklistItem, Enterprise, LiaisonPerson, SurveyYear, Vulnerability
from tenants.members.queries import active_on
from tenants.members.spreadsheet import COLUMNS, export_columns
from tenants.metrics import member_figures
from tenants.metrics.models import MemberFigures

from .factories import credit_code_for
from .test_jobs import run_worker
from .test_members import count, park, reading, text  # noqa: F401  (park is a fixture)

ZH_HEADERS = [zh for _key, zh, _en in COLUMNS]
# A roster export leaves the liaison's contact details out unless asked for (test_personal_data.py).
EXPORT_HEADERS = [zh for _key, zh, _en in export_columns(False)]
KEY_BY_ENGLISH = {en: key for key, _zh, en in COLUMNS}


def row(n: int, **changes) -> dict:
    """One enterprise row by column key."""
    values = {"name": f"导入企业{n:04d}", "credit_code": credit_code_for(n), "industry": "制造业", "employees": 100,
              "status": "联系企业", "joined_on": "2024-03-01", "high_tech": "是", "specialised": "否",
              "liaison_name": f"联络员{n}", "liaison_position": "办公室主任", "liaison_mobile": "13800000000",
              "liaison_email": f"liaison{n}@example.com"}
    values.update(changes)
    return values


def filled_template(client, url, rows: list[dict], drop_english_header=False) -> bytes:
    """The downloaded import template (two note rows, Chinese then English headers) with `rows`."""
    response = client.get(f"{url}/import/template.xlsx")
    assert response.status_code == 200
    return fill_template(response.data, rows, drop_english_header)


def fill_template(template: bytes, rows: list[dict], drop_english_header=False) -> bytes:
    """`rows` (by column key) appended under the template's headers, as a user would type them."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb.active
    english = [c.value for c in ws[4]]
    keys = [KEY_BY_ENGLISH[h] for h in english]
    assert ws.max_row == 4  # no example row that could be imported by mistake
    if drop_english_header:
        ws.delete_rows(4)
    for values in rows:
        ws.append([values.get(k) for k in keys])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post_import(client, url, data: bytes, mode="create", filename="名录.xlsx", **kw):
    return client.post(f"{url}/import", data={"file": (io.BytesIO(data), filename), "mode": mode},
                       content_type="multipart/form-data", **kw)


def preview_of(response) -> dict[str, list[tuple[str, str, str]]]:
    """Credit code → [(column, now, after the import)] from an update's preview table."""
    assert response.status_code == 200, response.status_code
    changes: dict[str, list] = {}
    for code, column, old, new in re.findall(
            r'<tr data-credit-code="(\w+)">.*?<td class="column">([^<]*)</td><td class="old">([^<]*)</td>'
            r'<td class="new[^"]*">([^<]*)</td></tr>', text(response)):
        changes.setdefault(code, []).append((column, old, new))
    return changes


def confirm_import(client, url, preview, **kw):
    """Confirm the import a preview page shows."""
    html = text(preview)
    upload = re.search(r'name="upload" value="([0-9a-f]{32})"', html).group(1)
    mode = re.search(r'name="mode" value="(\w+)"', html).group(1)
    return client.post(f"{url}/import/confirm", data={"upload": upload, "mode": mode, "submit": "1"}, **kw)


def listed_errors(html: str) -> dict[int, list[tuple[str, str]]]:
    """Row number → [(column, message)] from the error table."""
    errors: dict[int, list] = {}
    for number, column, message in re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html):
        errors.setdefault(int(number), []).append((column, message))
    return errors


def snapshot(tenant_id):
    """Every value of the roster's enterprises and liaison persons, and the audit log size."""
    with reading(tenant_id) as s:
        def dump(model):
            columns = [c.key for c in model.__table__.columns]
            return sorted(tuple(getattr(o, c) for c in columns) for o in s.scalars(sa.select(model)))
        return dump(Enterprise), dump(LiaisonPerson), s.scalar(sa.select(sa.func.count(AuditEvent.id)))


# --- template and a valid import -----------------------------------------------------------------

def test_template_import_creates_rows_with_liaisons(park):
    response = park.admin.get(f"{park.url}/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    assert park.admin.get(f"{park.url}/import").status_code == 200

    data = filled_template(park.admin, park.url, [
        row(1),
        row(2, name=" 东方制药 ", credit_code=credit_code_for(2).lower(), employees=250.0, status="培育对象",
            joined_on=datetime(2023, 5, 6), gazelle="是", adopted_standard="是", adopted_on="2024年6月1日"),
        row(3, liaison_name=None, liaison_position=None, liaison_mobile=None, liaison_email=None, status=None,
            high_tech=None),
        row(4, status="已退出", withdrawn_on="2024-12-31", withdrawal_reason="迁出本区"),
    ])
    response = post_import(park.admin, park.url, data, follow_redirects=True)
    assert response.status_code == 200
    assert "Import done: 4 created, 0 updated, 0 unchanged." in text(response)
    with reading(park.id) as s:
        by_code = {e.credit_code: e for e in s.scalars(sa.select(Enterprise))}
        assert set(by_code) == {credit_code_for(n) for n in (1, 2, 3, 4)}
        first, second, third, fourth = (by_code[credit_code_for(n)] for n in (1, 2, 3, 4))
        assert (first.name, first.industry, first.employees, first.status, first.joined_on, first.high_tech,
                first.specialised) == ("导入企业0001", "制造业", 100, "liaison", date(2024, 3, 1), True, False)
        assert (first.current_liaison.name, first.current_liaison.position, first.current_liaison.email) == \
            ("联络员1", "办公室主任", "liaison1@example.com")
        assert (second.name, second.employees, second.status, second.joined_on, second.gazelle,
                second.adopted_standard, second.adopted_on) == ("东方制药", 250, "cultivating", date(2023, 5, 6), True,
                                                                True, date(2024, 6, 1))
        assert (third.status, third.high_tech, third.liaisons) == ("liaison", False, [])
        assert (fourth.status, fourth.withdrawn_on, fourth.withdrawal_reason) == \
            ("withdrawn", date(2024, 12, 31), "迁出本区")
    assert count(park.id, LiaisonPerson) == 3
    # Imported by a person: the audit log says who.
    assert count(park.id, AuditEvent, AuditEvent.object_type == "Enterprise", AuditEvent.action == "create",
                 AuditEvent.user_id == park.admin_id) == 4
    # The tenant's kept member figures count the new members (on PostgreSQL they go in by COPY,
    # which no session listener sees: saas/bulk.py reports it: tables_written).
    with reading(park.id) as s:
        kept = {r.year: r.active for r in s.scalars(sa.select(MemberFigures))}
        active = s.scalar(sa.select(sa.func.count(Enterprise.id)).where(active_on(date(date.today().year, 12, 31))))
    assert kept == {date.today().year: active} and active >= 3
    db.session.rollback()
    assert member_figures.differences(park.id) == []


def test_template_without_its_english_header_row_still_imports(park):
    data = filled_template(park.admin, park.url, [row(1)], drop_english_header=True)
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 302, listed_errors(text(response))
    assert count(park.id, Enterprise) == 1


# --- refused files -------------------------------------------------------------------------------

def test_bad_rows_are_all_listed_and_nothing_is_written(park, make):
    existing = credit_code_for(300)
    make.enterprise(park.tenant, name="已在名录", credit_code=existing)
    before = snapshot(park.id)
    bad_code = credit_code_for(102)[:-1] + ("0" if credit_code_for(102)[-1] != "0" else "1")
    data = filled_template(park.admin, park.url, [
        row(101),                                   # 5: fine
        row(102, credit_code=bad_code),             # 6: wrong check character
        row(103),                                   # 7: fine
        row(104, credit_code=credit_code_for(103)),  # 8: same code as row 7
        row(105, credit_code=existing),             # 9: already in the roster (create mode)
        row(106, name=""),                          # 10: no name
        row(107, joined_on="2024-13-45"),           # 11: not a date
        row(108, status="暂停"),                     # 12: unknown status
        row(109, employees="很多"),                  # 13: not a number
        row(110, high_tech="也许"),                  # 14: not yes/no
        row(111, liaison_email="not-an-email"),     # 15: bad email
        row(112, credit_code=""),                   # 16: no credit code
        row(113, status="已退出"),                    # 17: withdrawn without a reason
    ])
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 422
    html = text(response)
    assert "Nothing was imported" in html
    errors = listed_errors(html)
    assert sorted(errors) == [6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
    assert errors[6] == [("统一社会信用代码", "The check character of this credit code is wrong.")]
    assert errors[8] == [("统一社会信用代码", "The same credit code is on row 7.")]
    assert errors[9] == [("统一社会信用代码", "Already in the roster: 已在名录.")]
    assert errors[10] == [("企业名称", "The name is missing.")]
    assert errors[11][0][0] == "加入日期" and "2024-13-45" in errors[11][0][1]
    assert errors[12][0][0] == "状态" and "暂停" in errors[12][0][1]
    assert [c for c, _m in errors[13]] == ["职工人数"]
    assert [c for c, _m in errors[14]] == ["高新技术企业"]
    assert [c for c, _m in errors[15]] == ["联络员邮箱"]
    assert errors[16] == [("统一社会信用代码", "The credit code is missing.")]
    assert [c for c, _m in errors[17]] == ["退出原因"]
    assert snapshot(park.id) == before


def test_non_excel_files_are_refused(park):
    csv_bytes = "企业名称,统一社会信用代码\n星辰科技,91110000600037341L\n".encode()
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    files = ((csv_bytes, "名录.xlsx"), (b"MZ\x90\x00" + bytes(500), "名录.xlsx"),
             (docx.getvalue(), "名录.xlsx"), (csv_bytes, "名录.csv"))
    for data, name in files:
        response = post_import(park.admin, park.url, data, filename=name)
        assert response.status_code == 400, name
        assert "This type of file is not accepted" in text(response)
    response = park.admin.post(f"{park.url}/import", data={"mode": "create"},
                               content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a file" in text(response)
    assert count(park.id, Enterprise) == 0


def test_broken_xlsx_is_refused_with_a_clear_error(park):
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "this is not a workbook")
    response = post_import(park.admin, park.url, broken.getvalue())
    assert response.status_code == 400
    assert count(park.id, Enterprise) == 0


def test_an_oversized_file_is_refused(park, app, monkeypatch):
    data = filled_template(park.admin, park.url, [row(1)])
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", len(data) - 1)
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 400 and "larger than" in text(response)
    assert count(park.id, Enterprise) == 0
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", len(data))
    assert post_import(park.admin, park.url, data).status_code == 302
    assert count(park.id, Enterprise) == 1


def test_a_file_without_header_or_rows_is_refused(park):
    wb = Workbook()
    wb.active.append(["随便", "什么"])
    wb.active.append(["星辰科技", "91110000600037341L"])
    out = io.BytesIO()
    wb.save(out)
    response = post_import(park.admin, park.url, out.getvalue())
    assert response.status_code == 422 and "No header row found" in text(response)
    response = post_import(park.admin, park.url, filled_template(park.admin, park.url, []))
    assert response.status_code == 422 and "no enterprise rows" in text(response)


def test_values_too_large_for_the_database_are_row_errors(park):
    data = filled_template(park.admin, park.url, [row(1), row(2, employees=10**20), row(3, name="长" * 201)])
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 422
    errors = listed_errors(text(response))
    assert [c for c, _m in errors[6]] == ["职工人数"]
    assert errors[7] == [("企业名称", "Too long: at most 200 characters.")]
    assert count(park.id, Enterprise) == 0


# --- update mode ---------------------------------------------------------------------------------

def test_update_mode_updates_instead_of_duplicating(park):
    rows = [row(1), row(2), row(3)]
    assert post_import(park.admin, park.url, filled_template(park.admin, park.url, rows)).status_code == 302
    with reading(park.id) as s:
        ids = dict(s.execute(sa.select(Enterprise.credit_code, Enterprise.id)).all())

    edited = [row(1, employees=150, status="培育对象"), row(2, liaison_name="新联络员", liaison_email="new@example.com"),
              row(3), row(4)]
    data = filled_template(park.admin, park.url, edited)
    # Create mode refuses rows already in the roster.
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 422 and sorted(listed_errors(text(response))) == [5, 6, 7]
    preview = post_import(park.admin, park.url, data, mode="update")
    assert "1 new, 2 changed, 1 unchanged." in text(preview)
    assert preview_of(preview) == {
        credit_code_for(1): [("职工人数", "100", "150"), ("状态", "联系企业", "培育对象")],
        credit_code_for(2): [("联络员", "联络员2", "新联络员"), ("联络员邮箱", "liaison2@example.com", "new@example.com")]}
    assert count(park.id, Enterprise) == 3  # nothing written before the confirmation
    response = confirm_import(park.admin, park.url, preview, follow_redirects=True)
    assert "Import done: 1 created, 2 updated, 1 unchanged." in text(response)
    with reading(park.id) as s:
        now = {e.credit_code: e for e in s.scalars(sa.select(Enterprise))}
        assert len(now) == 4
        assert all(now[code].id == ids[code] for code in ids)  # the same rows, updated
        first, second = now[credit_code_for(1)], now[credit_code_for(2)]
        assert (first.employees, first.status) == (150, "cultivating")
        assert [(p.name, p.ended_on is None) for p in second.liaisons] == [("新联络员", True), ("联络员2", False)]
    # Updating again with the same file changes nothing.
    preview = post_import(park.admin, park.url, data, mode="update")
    assert "0 new, 0 changed, 4 unchanged." in text(preview) and preview_of(preview) == {}
    response = confirm_import(park.admin, park.url, preview, follow_redirects=True)
    assert "Import done: 0 created, 0 updated, 4 unchanged." in text(response)


# --- large files on the worker -------------------------------------------------------------------

@pytest.mark.slow
def test_large_import_runs_in_the_background(park):
    data = filled_template(park.admin, park.url, [row(n) for n in range(1, 321)])
    response = post_import(park.admin, park.url, data)
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert re.fullmatch(r"(http://localhost)?/t/park/jobs/\d+", job_url)
    assert park.admin.get(job_url + ".json").get_json()["status"] == "queued"
    assert count(park.id, Enterprise) == 0
    run_worker()
    status = park.admin.get(job_url + ".json").get_json()
    assert (status["status"], status["progress"]) == ("done", 100), status
    page = text(park.admin.get(job_url))
    assert re.search(r"Created</dt><dd[^>]*>320<", page)
    assert count(park.id, Enterprise) == 320 and count(park.id, LiaisonPerson) == 320
    with reading(park.id) as s:
        record = s.scalars(sa.select(JobRecord)).one()
        assert (record.result["created"], record.result["updated"]) == (320, 0)


@pytest.mark.slow
def test_large_import_with_one_bad_row_fails_and_writes_nothing(park):
    rows = [row(n) for n in range(1, 501)]
    rows[249] = row(250, joined_on="昨天")  # Excel row 254
    response = post_import(park.admin, park.url, filled_template(park.admin, park.url, rows))
    assert response.status_code == 302
    job_url = response.headers["Location"]
    run_worker()
    assert park.admin.get(job_url + ".json").get_json()["status"] == "failed"
    assert count(park.id, Enterprise) == 0 and count(park.id, LiaisonPerson) == 0
    with reading(park.id) as s:
        record = s.scalars(sa.select(JobRecord)).one()
        assert record.result["errors"] == [{"row": 254, "column": "加入日期",
                                            "message": "Not a date (use 2024-03-01): 昨天"}]
    page = text(park.admin.get(job_url))
    assert listed_errors(page) == {254: [("加入日期", "Not a date (use 2024-03-01): 昨天")]}
    assert "Nothing was imported" in page


@pytest.mark.slow
def test_background_import_failing_while_writing_writes_nothing(park):
    rows = [row(n) for n in range(1, 501)]
    rows[449] = row(450, employees=10**20)  # passes validation, fails in the database
    job_url = post_import(park.admin, park.url, filled_template(park.admin, park.url, rows)).headers["Location"]
    run_worker()
    assert park.admin.get(job_url + ".json").get_json()["status"] == "failed"
    assert count(park.id, Enterprise) == 0


@pytest.mark.slow
def test_retrying_a_failed_import_does_not_end_in_an_internal_error(park):
    rows = [row(n) for n in range(1, 321)]
    rows[0] = row(1, status="暂停")
    job_url = post_import(park.admin, park.url, filled_template(park.admin, park.url, rows)).headers["Location"]
    run_worker()
    assert park.admin.get(job_url + ".json").get_json()["status"] == "failed"
    if "/retry" in text(park.admin.get(job_url)):
        assert park.admin.post(job_url + "/retry").status_code == 302
        run_worker()
        status = park.admin.get(job_url + ".json").get_json()
        assert "Errno" not in status["message"] and "FileNotFoundError" not in status["message"], status


@pytest.mark.slow
def test_background_import_is_audited_under_the_user_who_started_it(park):
    data = filled_template(park.admin, park.url, [row(n) for n in range(1, 321)])
    assert post_import(park.admin, park.url, data).status_code == 302
    run_worker()
    assert count(park.id, AuditEvent, AuditEvent.object_type == "Enterprise",
                 AuditEvent.user_id == park.admin_id) == 320


# --- exports -------------------------------------------------------------------------------------

@pytest.fixture
def roster(park, make):
    """A varied roster: flags, statuses, recognition, withdrawal, no liaison, records."""
    ids = [
        make.enterprise(park.tenant, name="A 高新企业", high_tech=True, specialised=True, industry="软件"),
        make.enterprise(park.tenant, name="B 示范企业", status="demonstration", recognised_on=date(2024, 7, 1),
                        recognised_by="市局", certificate_no="0012", adopted_standard=True,
                        adopted_on=date(2024, 6, 1)),
        make.enterprise(park.tenant, name="C 无联络员", liaison=None, employees=0, joined_on=None),
        make.enterprise(park.tenant, name="D 已退出", status="withdrawn", withdrawal_reason="注销",
                        withdrawn_on=date(2025, 1, 2)),
    ]
    with tenant_scope(park.id):
        db.session.add_all([
            ChecklistItem(enterprise_id=ids[0], code="five.rules", state="in_place"),
            SurveyYear(enterprise_id=ids[0], year=2024, employees=100, confidentiality_signed=80,
                       noncompete_signed=25),
            Vulnerability(enterprise_id=ids[1], item="研发图纸外发", severity="high", status="mitigating"),
        ])
        db.session.commit()
        codes = [db.session.get(Enterprise, i).credit_code for i in ids]
    return SimpleNamespace(ids=ids, codes=codes)


def test_export_xlsx_has_title_time_and_every_enterprise(park, roster):
    response = park.admin.get(f"{park.url}/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert "示范园区" in rows[0][0]
    stamp = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", rows[0][1]).group(0)
    assert abs((datetime.now() - datetime.strptime(stamp, "%Y-%m-%d %H:%M")).total_seconds()) < 120
    # One header row, in the reader's language (this admin reads English), then the data.
    assert [h.removesuffix(" *") for h in rows[1]] == [en for _k, _zh, en in export_columns(False)]
    data = [dict(zip([k for k, _zh, _en in export_columns(False)], r)) for r in rows[2:]]
    assert [d["name"] for d in data] == ["A 高新企业", "B 示范企业", "C 无联络员", "D 已退出"]
    a, b, c, d = data
    assert (a["high_tech"], a["specialised"], a["gazelle"], a["status"], a["liaison_name"]) == \
        ("是", "是", "否", "联系企业", "联络员")
    # A recognised unit is a liaison enterprise; its recognition is not a roster column.
    assert b["status"] == "联系企业" and "certificate_no" not in b
    assert (c["liaison_name"] or "") == "" and c["joined_on"] is None
    assert (d["status"], d["withdrawal_reason"], d["withdrawn_on"].date()) == ("已退出", "注销", date(2025, 1, 2))


def test_export_csv_has_bom_and_chinese_headers(park, roster):
    response = park.admin.get(f"{park.url}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_HEADERS
    assert sorted(r[0] for r in rows[1:]) == ["A 高新企业", "B 示范企业", "C 无联络员", "D 已退出"]


def test_ledger_has_three_sheets(park, roster):
    response = park.admin.get(f"{park.url}/ledger.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(response.data))
    # In the user's language (this tenant's default is English).
    assert wb.sheetnames == ["Checklists", "Survey figures", "Vulnerability list"]
    for ws in wb.worksheets:
        assert "示范园区" in ws.cell(1, 1).value and ws.cell(1, 2).value.startswith("Exported ")
    checklist = list(wb["Checklists"].iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in checklist] == ["A 高新企业", "B 示范企业", "C 无联络员"]  # not the withdrawn one
    assert list(checklist[0][2:]) == ["In place" if code == "five.rules" else "Not started" for code in ITEMS]
    assert set(checklist[1][2:]) == {"Not started"}
    survey = list(wb["Survey figures"].iter_rows(min_row=3, values_only=True))
    assert survey == [("A 高新企业", roster.codes[0], 2024, 100, 0, 0, 80, 0.8, 25, 0.25, 0, 0, 0)]
    vulnerabilities = list(wb["Vulnerability list"].iter_rows(min_row=3, values_only=True))
    assert vulnerabilities == [("B 示范企业", "研发图纸外发", None, "High", None, "Being addressed")]


def test_export_reimported_in_update_mode_changes_nothing(park, roster):
    before = snapshot(park.id)
    export = park.admin.get(f"{park.url}/export.xlsx").data
    preview = post_import(park.admin, park.url, export, mode="update", filename="联系企业名录.xlsx")
    assert preview_of(preview) == {}
    response = confirm_import(park.admin, park.url, preview, follow_redirects=True)
    assert response.status_code == 200
    assert "Import done: 0 created, 0 updated, 4 unchanged." in text(response)
    assert snapshot(park.id) == before  # same rows, same values, no new audit events


def test_export_writes_text_as_text(park, make):
    make.enterprise(park.tenant, name="=HYPERLINK(\"http://evil.example\",\"点我\")", industry="=1+2")
    ws = load_workbook(io.BytesIO(park.admin.get(f"{park.url}/export.xlsx").data)).active
    name, industry = ws.cell(3, 1), ws.cell(3, 3)  # title, header, then the data
    assert (name.data_type, industry.data_type) == ("s", "s")
    assert industry.value == "=1+2"


def test_a_sheet_cannot_make_a_demonstration_unit(park):
    """Demonstration units come from a bureau's recognition: a sheet saying 示范企业 is refused
    with the reason, and nothing is written."""
    data = filled_template(park.admin, park.url, [row(1), row(2, status="示范企业")])
    response = post_import(park.admin, park.url, data)
    assert response.status_code in (200, 422) and "recognised by a bureau" in text(response)
    assert count(park.id, Enterprise) == 0


def test_liaison_numbers_are_checked_and_the_landline_has_its_own_column(park):
    """The same checks as the liaison form: a mainland mobile (11 digits, stored normalised), a
    landline in its own column; a bad number rejects the file naming row and column."""
    bad = filled_template(park.admin, park.url, [row(1, liaison_mobile="12345"),
                                                 row(2, liaison_mobile="027-87654321")])
    response = post_import(park.admin, park.url, bad)
    page = text(response)
    assert "联络员手机" in page and count(park.id, Enterprise) == 0
    good = filled_template(park.admin, park.url, [row(1, liaison_mobile="+86 138 0013 8000",
                                                      liaison_landline="027-87654321 转 8")])
    post_import(park.admin, park.url, good)
    with reading(park.id) as s:
        person = s.scalar(sa.select(LiaisonPerson))
        assert (person.mobile, person.landline) == ("13800138000", "027-87654321 转 8")
        # A new member's first liaison is in office since the member joined (2024-03-01).
        assert person.started_on == date(2024, 3, 1)
    export = load_workbook(io.BytesIO(park.admin.get(f"{park.url}/export.xlsx").data)).active
    headers = [h.removesuffix(" *") for h in next(export.iter_rows(min_row=2, max_row=2, values_only=True))]
    assert "联络员座机" not in headers  # contact details only when asked for (test_personal_data.py)
    assert [k for k, _zh, _en in COLUMNS if _zh == "联络员座机"] == ["liaison_landline"]


def test_the_templates_note_names_the_row_where_data_starts():
    """The note at the top says which row the first enterprise goes on: the row after the headers."""
    import io
    import re

    from openpyxl import load_workbook

    from tenants.members.spreadsheet import template

    rows = list(load_workbook(io.BytesIO(template())).active.iter_rows(values_only=True))
    first_data_row = len(rows) + 1
    assert re.search(r"从第 (\d+) 行起", rows[0][0]).group(1) == str(first_data_row)
    assert re.search(r"from row (\d+)", rows[1][0]).group(1) == str(first_data_row)


def test_a_chinese_reader_gets_one_chinese_header_row(park, roster, make, login_as):
    """In the Chinese UI the export has no English header row (issue 22); the importer knows the
    columns by either name (test_template_without_its_english_header_row_still_imports)."""
    user = make.user("zh-admin@example.com", tenant=park.tenant, role="admin")
    user.locale = "zh_CN"  # this park's default language is English
    db.session.commit()
    client = login_as("zh-admin@example.com")
    data = client.get(f"{park.url}/export.xlsx").data
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert [h.removesuffix(" *") for h in rows[1]] == EXPORT_HEADERS
    assert not any(v == "Unified social credit code" for r in rows for v in r)
    assert sorted(r[0] for r in rows[2:]) == ["A 高新企业", "B 示范企业", "C 无联络员", "D 已退出"]
