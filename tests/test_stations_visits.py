"""Guidance stations and the service ledger: stations and their staff (the WH-2 warning), rules
documents, ledger rules, filters, overdue follow-ups, the monthly chart, the export, constant SQL.

Guidance visits, instructors, the instructor home and the team ledger are in
test_guidance_visits.py.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from saas.extensions import db
from saas.files import Attachment
from saas.tenancy import tenant_scope
from tenants.stations.models import ServiceLog, Station, StationStaff
from tenants.stations.services import monthly_counts

from .test_members import EXE, PDF, count, reading, text
from .sql import statements

# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def park(make, login_as):
    """A tenant with English pages, its admin logged in, two member enterprises and a station."""
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en")
    admin = make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    first = make.enterprise(tenant, name="星辰科技")
    second = make.enterprise(tenant, name="东方制药")
    return SimpleNamespace(tenant=tenant, id=tenant.id, slug=tenant.slug, admin_id=admin.id, first=first,
                           second=second, admin=login_as("admin@example.com"), url="/t/park/stations")


def add_station(tenant_id, name="光谷指导站", **fields) -> int:
    with tenant_scope(tenant_id):
        station = Station(name=name, **fields)
        db.session.add(station)
        db.session.commit()
        return station.id


def add_logs(tenant_id, station_id, *rows: dict) -> list[int]:
    """Ledger entries straight into the database (defaults: a consultation of a non-member)."""
    with tenant_scope(tenant_id):
        entries = []
        for row in rows:
            values = {"served_on": date(2025, 3, 1), "station_id": station_id, "category": "consultation",
                      "non_member": "" if row.get("enterprise_id") else "园区外企业", **row}
            if values["category"] == "complaint":
                values.setdefault("case_status", "received")
            entries.append(ServiceLog(**values))
        db.session.add_all(entries)
        db.session.commit()
        return [e.id for e in entries]


def entry_form(station_id, **changes) -> dict:
    """What the ledger form sends; None drops a field."""
    data = {"served_on": "2025-03-01", "station_id": str(station_id), "category": "consultation",
            "enterprise_id": "0", "non_member": "园区外某公司", "handled_by": "李晓梅", "summary": "咨询保密协议",
            "outcome": "已答复", "case_status": "received", "follow_up": "done"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def ledger_rows(response) -> list[tuple[str, bool]]:
    """(summary, highlighted as overdue) for each row of the ledger table, in order."""
    assert response.status_code == 200
    page = text(response)
    if "<tbody>" not in page:
        return []
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for cls, row in re.findall(r'<tr( class="table-warning")?>(.*?)</tr>', body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append((unescape(cells[3]).strip(), bool(cls)))
    return rows


def summaries(response) -> list[str]:
    return [s for s, _late in ledger_rows(response)]


def station_cards(response) -> dict[str, str]:
    """Station name → its card on the stations page."""
    cards = text(response).split('<div class="col-md-6 col-xl-4">')[1:]
    return {re.search(r'<h2 class="h5"><a href="[^"]+">([^<]+)</a>', c).group(1): c for c in cards}


def sheet_rows(response, index=0) -> list[tuple]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return list(load_workbook(io.BytesIO(response.data)).worksheets[index].iter_rows(values_only=True))


# --- 1. stations and their staff -----------------------------------------------------------------

def test_create_and_edit_a_station(park):
    assert "No guidance station yet" in text(park.admin.get(f"{park.url}/"))
    assert park.admin.get(f"{park.url}/new").status_code == 200
    response = park.admin.post(f"{park.url}/new", data={
        "name": "光谷生物城指导站", "address": "高新大道666号", "opened_on": "2023-05-26", "office": "shared",
        "opening_hours": "工作日 9:00–17:30", "services": "政策咨询、投诉受理", "active": "y"})
    assert response.status_code == 302
    with reading(park.id) as s:
        station = s.scalars(sa.select(Station)).one()
        sid = station.id
        assert (station.name, station.address, station.opened_on, station.office, station.opening_hours,
                station.services, station.active) == \
            ("光谷生物城指导站", "高新大道666号", date(2023, 5, 26), "shared", "工作日 9:00–17:30", "政策咨询、投诉受理", True)
    assert response.headers["Location"].endswith(f"/stations/{sid}")
    page = text(park.admin.get(f"{park.url}/{sid}"))
    assert "光谷生物城指导站" in page and "高新大道666号" in page and "Shared with the park or association" in page

    # A name is required; an unknown office is refused; nothing is created.
    assert park.admin.post(f"{park.url}/new", data={"name": " ", "office": "independent"}).status_code == 200
    assert park.admin.post(f"{park.url}/new", data={"name": "x", "office": "garage"}).status_code == 200
    assert count(park.id, Station) == 1

    response = park.admin.post(f"{park.url}/{sid}/edit", data={"name": "光谷指导站（新址）", "office": "independent",
                                                               "opened_on": "2023-05-26", "address": ""})
    assert response.status_code == 302
    with reading(park.id) as s:
        station = s.get(Station, sid)
        assert (station.name, station.office, station.active, station.address) == \
            ("光谷指导站（新址）", "independent", False, "")
    assert "Closed" in station_cards(park.admin.get(f"{park.url}/"))["光谷指导站（新址）"]
    assert park.admin.get(f"{park.url}/{sid + 100}").status_code == 404


def test_staff_experience_and_the_wh2_warning(park):
    sid = add_station(park.id, "甲指导站")
    add_station(park.id, "乙指导站")

    def add(name, **fields):
        response = park.admin.post(f"{park.url}/{sid}/staff/new", data={
            "name": name, "position": "专员", "employment": "full_time", **fields})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/stations/{sid}")

    def card():
        return station_cards(park.admin.get(f"{park.url}/"))["甲指导站"]

    assert "0 staff, 0 with protection experience" in card() and "WH-2 asks for at least 2" in card()
    add("李晓梅", experienced="y", active="y", training="2024 年省局培训")
    assert "1 staff, 1 with protection experience" in card() and "WH-2 asks for at least 2" in card()
    add("黄志远", active="y")  # no experience
    add("邓可", experienced="y", employment="part_time")  # experienced, but no longer on the staff
    assert "2 staff, 1 with protection experience" in card() and "WH-2 asks for at least 2" in card()
    with reading(park.id) as s:
        rows = {m.name: m for m in s.scalars(sa.select(StationStaff))}
        assert (rows["李晓梅"].experienced, rows["李晓梅"].active, rows["李晓梅"].training) == (True, True, "2024 年省局培训")
        assert (rows["邓可"].experienced, rows["邓可"].active, rows["邓可"].employment) == (True, False, "part_time")
        huang = rows["黄志远"].id
    page = text(park.admin.get(f"{park.url}/{sid}"))
    assert all(name in page for name in ("李晓梅", "黄志远", "邓可"))

    response = park.admin.post(f"{park.url}/{sid}/staff/{huang}", data={
        "name": "黄志远", "position": "专员", "employment": "full_time", "experienced": "y", "active": "y"})
    assert response.status_code == 302
    assert "2 staff, 2 with protection experience" in card()
    assert "WH-2 asks for at least 2" not in card()
    # The other station still has no staff and keeps its warning.
    assert "WH-2 asks for at least 2" in station_cards(park.admin.get(f"{park.url}/"))["乙指导站"]
    # A staff row is reached through its own station only; a name is required.
    other = add_station(park.id, "丙指导站")
    assert park.admin.get(f"{park.url}/{other}/staff/{huang}").status_code == 404
    response = park.admin.post(f"{park.url}/{sid}/staff/new", data={"name": "", "employment": "full_time"})
    assert response.status_code == 200
    assert count(park.id, StationStaff) == 3


def test_rules_document_upload_download_and_delete(park, app, make, login_as):
    sid = add_station(park.id)
    url = f"{park.url}/{sid}/documents"
    response = park.admin.post(url, data={"file": (io.BytesIO(PDF), "指导站工作制度.pdf")},
                               content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/stations/{sid}")
    with reading(park.id) as s:
        a = s.scalars(sa.select(Attachment)).one()
        aid, stored = a.id, a.stored_name
        assert (a.owner_type, a.owner_id, a.filename, a.content_type, a.uploaded_by_id) == \
            ("station", sid, "指导站工作制度.pdf", "application/pdf", park.admin_id)
    path = Path(app.config["UPLOAD_DIR"]) / stored
    assert path.read_bytes() == PDF
    page = text(park.admin.get(f"{park.url}/{sid}"))
    assert "指导站工作制度.pdf" in page and f"{url}/{aid}/delete" in page
    download = park.admin.get(f"{url}/{aid}")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"

    # A program is refused; reviewers and instructors may read but not upload.
    response = park.admin.post(url, data={"file": (io.BytesIO(EXE), "制度.pdf")}, content_type="multipart/form-data",
                               follow_redirects=True)
    assert "not accepted" in text(response)
    make.user("ins@example.com", tenant=park.tenant, role="instructor")
    instructor = login_as("ins@example.com")
    assert instructor.get(f"{url}/{aid}").data == PDF
    assert instructor.post(url, data={"file": (io.BytesIO(PDF), "x.pdf")},
                           content_type="multipart/form-data").status_code == 403
    assert instructor.get(f"{url}/{aid}/delete").status_code == 403
    assert count(park.id, Attachment) == 1
    # Through another station's URL the file does not exist.
    other = add_station(park.id, "另一指导站")
    assert park.admin.get(f"{park.url}/{other}/documents/{aid}").status_code == 404

    confirm = park.admin.get(f"{url}/{aid}/delete")
    assert confirm.status_code == 200 and "指导站工作制度.pdf" in text(confirm)
    assert count(park.id, Attachment) == 1 and path.exists()  # GET only asks
    assert 'name="typed"' in text(confirm)  # a file deleted is gone: its name is typed to confirm
    wrong = park.admin.post(f"{url}/{aid}/delete", data={"typed": "指导站工作制度"})
    assert wrong.status_code == 422 and count(park.id, Attachment) == 1 and path.exists()
    response = park.admin.post(f"{url}/{aid}/delete", data={"typed": "指导站工作制度.pdf"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/stations/{sid}")
    assert count(park.id, Attachment) == 0 and not path.exists()
    assert park.admin.get(f"{url}/{aid}").status_code == 404
    assert "No files yet." in text(park.admin.get(f"{park.url}/{sid}"))


# --- 2. service ledger rules ---------------------------------------------------------------------

def _only_entry(tenant_id) -> ServiceLog:
    with reading(tenant_id) as s:
        entry = s.scalars(sa.select(ServiceLog).order_by(ServiceLog.id.desc()).limit(1)).one()
        s.expunge(entry)
        return entry


def test_complaints_get_a_case_status_and_others_none(park):
    sid = add_station(park.id)
    new = f"{park.url}/log/new"
    # The browser sends nothing for the case status: a complaint is then `received`.
    assert park.admin.post(new, data=entry_form(sid, category="complaint", case_status=None)).status_code == 302
    assert (_only_entry(park.id).category, _only_entry(park.id).case_status) == ("complaint", "received")
    assert park.admin.post(new, data=entry_form(sid, category="complaint", case_status="referred")).status_code == 302
    assert _only_entry(park.id).case_status == "referred"
    # Any other category has no case status, whatever the form sent.
    response = park.admin.post(new, data=entry_form(sid, category="consultation", case_status="mediated"))
    assert response.status_code == 302
    assert (_only_entry(park.id).category, _only_entry(park.id).case_status) == ("consultation", None)
    # Turning a complaint into a consultation drops its case status; back again, it starts at received.
    complaint_id = _only_entry(park.id).id - 1
    response = park.admin.post(f"{park.url}/log/{complaint_id}", data=entry_form(sid, category="guidance",
                                                                                 case_status="closed"))
    assert response.status_code == 302
    with reading(park.id) as s:
        assert (s.get(ServiceLog, complaint_id).category, s.get(ServiceLog, complaint_id).case_status) == \
            ("guidance", None)
    response = park.admin.post(f"{park.url}/log/{complaint_id}", data=entry_form(sid, category="complaint"))
    assert response.status_code == 302
    with reading(park.id) as s:
        assert s.get(ServiceLog, complaint_id).case_status == "received"
    # The list shows the case status of complaints.
    page = text(park.admin.get(f"{park.url}/log/"))
    assert page.count('<span class="badge text-bg-info">Received</span>') == 2
    assert count(park.id, ServiceLog) == 3


def test_ledger_entry_rules(park, make, login_as):
    sid = add_station(park.id)
    new = f"{park.url}/log/new"
    form = park.admin.get(new)
    assert form.status_code == 200 and 'value="园区管理员"' in text(form)  # handled by: the current user
    assert "Save and add another" in text(form)

    def refused(data, message):
        response = park.admin.post(new, data=data)
        assert response.status_code == 200, data
        assert message in text(response), data

    refused(entry_form(sid, enterprise_id="0", non_member=" "), "Name the member enterprise or the non-member served")
    refused(entry_form(sid, follow_up="open", follow_up_due=None), "An open follow-up needs a due date")
    refused(entry_form(sid, summary="密" * 501), "")
    refused(entry_form(sid, outcome="x" * 501), "")
    refused(entry_form(sid, served_on=None), "")
    refused(entry_form(sid, category="gossip"), "")
    # Another tenant's enterprise (and a withdrawn one of this tenant) cannot be chosen.
    other = make.tenant(slug="other", default_locale="en")
    foreign = make.enterprise(other, name="别园企业")
    withdrawn = make.enterprise(park.tenant, name="已退出企业", status="withdrawn", withdrawal_reason="迁出")
    refused(entry_form(sid, enterprise_id=str(foreign), non_member=""), "")
    refused(entry_form(sid, enterprise_id=str(withdrawn), non_member=""), "")
    assert count(park.id, ServiceLog) == 0
    assert count(other.id, ServiceLog) == 0

    # A member, with a non-member name typed too: the member wins. 500 characters are fine.
    response = park.admin.post(new, data=entry_form(sid, enterprise_id=str(park.first), non_member="多余的名字",
                                                    summary="密" * 500, follow_up="open",
                                                    follow_up_due="2025-04-01"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/stations/log/")
    e = _only_entry(park.id)
    assert (e.enterprise_id, e.non_member, len(e.summary), e.follow_up, e.follow_up_due, e.created_by_id) == \
        (park.first, "", 500, "open", date(2025, 4, 1), park.admin_id)
    # A non-member only; "Save and add another" comes back to an empty form.
    response = park.admin.post(new, data={**entry_form(sid, non_member="  园区外某公司 "), "again": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/stations/log/new")
    e = _only_entry(park.id)
    assert (e.enterprise_id, e.non_member, e.handled_by, e.outcome) == (None, "园区外某公司", "李晓梅", "已答复")
    assert count(park.id, ServiceLog) == 2

    # Reviewers and instructors read the ledger but do not write it.
    city = make.bureau("市局", level="city")
    park.tenant.bureau_id = city.id
    db.session.commit()
    make.user("rev@example.com", bureau=city, bureau_role="reviewer")
    make.user("ins@example.com", tenant=park.tenant, role="instructor")
    for email in ("rev@example.com", "ins@example.com"):
        client = login_as(email)
        assert client.get(f"{park.url}/log/").status_code == 200, email
        assert client.get(new).status_code == 403, email
        assert client.post(new, data=entry_form(sid)).status_code == 403, email
        assert client.get(f"{park.url}/log/{e.id}").status_code == 403, email
    assert count(park.id, ServiceLog) == 2


def test_ledger_needs_a_station_and_keeps_attachments(park):
    response = park.admin.get(f"{park.url}/log/new")
    assert response.status_code == 302 and response.headers["Location"].endswith("/stations/new")
    sid = add_station(park.id)
    # A closed station is not offered for new entries.
    closed = add_station(park.id, "已关闭指导站", active=False)
    assert park.admin.post(f"{park.url}/log/new", data=entry_form(closed)).status_code == 200
    assert count(park.id, ServiceLog) == 0

    response = park.admin.post(f"{park.url}/log/new", data={**entry_form(sid), "file": (io.BytesIO(PDF), "登记.pdf")},
                               content_type="multipart/form-data")
    assert response.status_code == 302
    e = _only_entry(park.id)
    with reading(park.id) as s:
        a = s.scalars(sa.select(Attachment)).one()
        assert (a.owner_type, a.owner_id, a.filename) == ("service_log", e.id, "登记.pdf")
    page = park.admin.get(f"{park.url}/log/{e.id}")
    assert "Edit ledger entry" in text(page) and f"/log/{e.id}/files/{a.id}" in text(page)
    assert park.admin.get(f"{park.url}/log/{e.id}/files/{a.id}").data == PDF
    [other] = add_logs(park.id, sid, {})
    assert park.admin.get(f"{park.url}/log/{other}/files/{a.id}").status_code == 404


def test_refused_attachment_saves_nothing_and_keeps_the_new_entry_form(park):
    sid = add_station(park.id)
    response = park.admin.post(f"{park.url}/log/new", data={**entry_form(sid), "file": (io.BytesIO(EXE), "登记.pdf")},
                               content_type="multipart/form-data")
    assert response.status_code == 200 and "not accepted" in text(response)
    assert count(park.id, ServiceLog) == 0 and count(park.id, Attachment) == 0
    # Nothing was saved: the page is still the form for a new entry, not the edit form of a ghost.
    assert "New ledger entry" in text(response) and "Save and add another" in text(response)


# --- 3. filters, overdue, chart, export ----------------------------------------------------------

def test_ledger_filters(park):
    east = add_station(park.id, "东站")
    west = add_station(park.id, "西站")
    add_logs(park.id, east,
             {"summary": "L-jan", "served_on": date(2025, 1, 10), "enterprise_id": park.first},
             {"summary": "L-feb", "served_on": date(2025, 2, 28), "category": "complaint",
              "enterprise_id": park.second},
             {"summary": "L-mar", "served_on": date(2025, 3, 1), "category": "publicity", "follow_up": "open",
              "follow_up_due": date(2025, 4, 1)})
    add_logs(park.id, west,
             {"summary": "L-west", "served_on": date(2025, 2, 1), "category": "complaint",
              "enterprise_id": park.first, "follow_up": "open", "follow_up_due": date(2025, 3, 1)})

    def get(**args):
        return summaries(park.admin.get(f"{park.url}/log/", query_string=args))

    assert get() == ["L-mar", "L-feb", "L-west", "L-jan"]  # newest first
    assert get(**{"from": "2025-02-01", "to": "2025-02-28"}) == ["L-feb", "L-west"]  # both ends included
    assert get(**{"from": "2025-03-01"}) == ["L-mar"]
    assert get(to="2025-01-31") == ["L-jan"]
    assert get(category="complaint") == ["L-feb", "L-west"]
    assert get(station=west) == ["L-west"]
    assert get(enterprise=park.first) == ["L-west", "L-jan"]
    assert get(open="1") == ["L-mar", "L-west"]
    assert get(category="complaint", station=east, enterprise=park.second) == ["L-feb"]
    assert get(category="complaint", open="1", **{"from": "2025-02-02"}) == []
    assert get(category="nonsense", **{"from": "not-a-date"}) == ["L-mar", "L-feb", "L-west", "L-jan"]
    # The export link keeps the filters.
    page = text(park.admin.get(f"{park.url}/log/", query_string={"category": "complaint", "station": west}))
    link = unescape(re.search(r'href="([^"]*/log/export\.xlsx[^"]*)"', page).group(1))
    assert "category=complaint" in link and f"station={west}" in link


def test_overdue_follow_ups_at_the_date_boundary(park):
    sid = add_station(park.id)
    today = date.today()
    yesterday = today - timedelta(days=1)
    add_logs(park.id, sid,
             {"summary": "L-yesterday", "follow_up": "open", "follow_up_due": yesterday},
             {"summary": "L-today", "follow_up": "open", "follow_up_due": today},
             {"summary": "L-done", "follow_up": "done", "follow_up_due": yesterday},
             {"summary": "L-none", "follow_up": "done"})
    with reading(park.id) as s:
        entries = {e.summary: e for e in s.scalars(sa.select(ServiceLog))}
    assert entries["L-yesterday"].overdue(today) is True
    assert entries["L-today"].overdue(today) is False
    assert entries["L-today"].overdue(today + timedelta(days=1)) is True
    assert entries["L-done"].overdue(today) is False
    assert entries["L-none"].overdue(today) is False

    response = park.admin.get(f"{park.url}/log/")
    rows = dict(ledger_rows(response))
    assert rows == {"L-yesterday": True, "L-today": False, "L-done": False, "L-none": False}
    assert re.search(r"\b1 follow-ups are overdue", text(response))
    assert text(response).count(">Overdue<") == 1


def test_monthly_chart_counts_calendar_months(park, app):
    sid = add_station(park.id)
    add_logs(park.id, sid,
             {"summary": "L-eve", "served_on": date(2024, 12, 31)},
             {"summary": "L-new-year", "served_on": date(2025, 1, 1)},
             {"summary": "L-jan-complaint", "served_on": date(2025, 1, 31), "category": "complaint"},
             {"summary": "L-feb", "served_on": date(2025, 2, 1)})
    with app.app_context(), tenant_scope(park.id):
        counts_2024, counts_2025 = monthly_counts(2024), monthly_counts(2025)
    assert counts_2024[12]["consultation"] == 1 and counts_2024[1]["consultation"] == 0
    assert sum(sum(m.values()) for m in counts_2024.values()) == 1
    assert (counts_2025[1]["consultation"], counts_2025[1]["complaint"], counts_2025[2]["consultation"],
            counts_2025[12]["consultation"]) == (1, 1, 1, 0)
    assert sum(sum(m.values()) for m in counts_2025.values()) == 3

    def cells(year):
        response = park.admin.get(f"{park.url}/log/chart", query_string={"year": year})
        assert response.status_code == 200
        return [(unescape(href), int(n)) for href, n in re.findall(r'<td class="text-end"><a href="([^"]+)">(\d+)</a>',
                                                                     text(response))]

    [(link_2024, n_2024)] = cells(2024)
    assert n_2024 == 1 and "from=2024-12-01" in link_2024 and "to=2024-12-31" in link_2024
    assert "category=consultation" in link_2024
    links_2025 = cells(2025)
    assert len(links_2025) == 3 and all(n == 1 for _l, n in links_2025)
    # Each figure links to exactly the entries it counts.
    listed = sorted(tuple(summaries(park.admin.get(link))) for link, _n in links_2025)
    assert listed == [("L-feb",), ("L-jan-complaint",), ("L-new-year",)]
    assert summaries(park.admin.get(link_2024)) == ["L-eve"]
    jan = [link for link, _n in links_2025 if "category=complaint" in link][0]
    assert "from=2025-01-01" in jan and "to=2025-01-31" in jan
    # The year switcher and totals.
    page = text(park.admin.get(f"{park.url}/log/chart", query_string={"year": 2025}))
    assert "Services per month, 2025" in page and "year=2024" in page and "year=2026" in page


def test_chart_year_out_of_range_is_not_a_server_error(park):
    add_station(park.id)
    for year in (0, -5, 9999, 10000):
        response = park.admin.get(f"{park.url}/log/chart", query_string={"year": year})
        assert response.status_code in (200, 400, 404), (year, response.status_code)


def test_ledger_export(park):
    east = add_station(park.id, "东站")
    add_logs(park.id, east,
             {"summary": "L-one", "served_on": date(2025, 1, 10), "enterprise_id": park.first,
              "handled_by": "李晓梅"},
             {"summary": "L-two", "served_on": date(2025, 2, 1), "category": "complaint", "case_status": "referred",
              "follow_up": "open", "follow_up_due": date(2025, 3, 1)},
             {"summary": "=HYPERLINK(\"http://evil.example.com\",\"点我\")", "served_on": date(2025, 2, 2),
              "non_member": "+1 团体", "handled_by": "@某人"})
    response = park.admin.get(f"{park.url}/log/export.xlsx")
    rows = sheet_rows(response)
    assert "示范园区" in rows[0][0]
    assert rows[1][:4] == ("Date", "Station", "Category", "Enterprise served")
    data = rows[2:]
    assert len(data) == 3
    by_summary = {r[5]: r for r in data}
    one = by_summary["L-one"]
    assert (one[1], one[2], one[3], one[4]) == ("东站", "Consultation", "星辰科技", "李晓梅")
    assert one[0].date() == date(2025, 1, 10)
    two = by_summary["L-two"]
    assert (two[2], two[3], two[7], two[9]) == ("Infringement complaint received", "园区外企业",
                                                "Referred to the bureau", "Open")
    assert two[8].date() == date(2025, 3, 1)
    filtered = sheet_rows(park.admin.get(f"{park.url}/log/export.xlsx", query_string={"category": "complaint"}))
    assert [r[5] for r in filtered[2:]] == ["L-two"]
    # Free text that looks like a formula is written as text, never as a formula.
    ws = load_workbook(io.BytesIO(response.data)).worksheets[0]
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == [], formulas


# --- 4. constant SQL -----------------------------------------------------------------------------

def test_ledger_list_sql_does_not_grow_with_the_ledger(park, make):
    stations = [add_station(park.id, f"指导站{i}") for i in range(3)]
    enterprises = [park.first, park.second] + [make.enterprise(park.tenant) for _ in range(3)]

    def bulk(n, start):
        with tenant_scope(park.id):
            db.session.add_all([ServiceLog(
                served_on=date(2025, 1, 1) + timedelta(days=i % 300), station_id=stations[i % 3],
                category="complaint" if i % 4 == 0 else "guidance", case_status="received" if i % 4 == 0 else None,
                enterprise_id=enterprises[i % 5] if i % 3 else None, non_member="" if i % 3 else "园区外企业",
                summary=f"L-{i}", follow_up="open" if i % 2 else "done",
                follow_up_due=date(2025, 1, 1) if i % 2 else None) for i in range(start, start + n)])
            db.session.commit()

    bulk(3, 0)
    url = f"{park.url}/log/"
    park.admin.get(url)  # warm-up
    with statements() as small:
        response = park.admin.get(url)
    assert len(summaries(response)) == 3
    bulk(120, 1000)
    with statements() as large:
        response = park.admin.get(url)
    rows = ledger_rows(response)
    assert len(rows) == 50 and all(late for s, late in rows if int(s[2:]) % 2)
    assert "123 in all" in text(response)
    assert len(large) == len(small), large
    with statements() as filtered:
        response = park.admin.get(url, query_string={"open": "1", "category": "guidance", "page": 2})
    assert len(summaries(response)) > 0
    assert len(filtered) == len(small), filtered
