"""Periodic reports (CQ-4, TJ-6, XC-2): drafted from the period's figures, edited, submitted to the
bureau, accepted or returned; frozen at submission; PDF and DOCX; the on-time count of the
roll-up."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.auth.models import User
from saas.extensions import db
from saas.jobs import JobContext
from saas.notifications import Notification
from saas.tenancy import Tenant, cross_tenant_reads, tenant_scope
from tenants.metrics.service import tenant_metrics
from tenants.reports.models import PeriodicReport, ReportEvent, ReportVersion
from tenants.reports.queries import on_time_counts
from tenants.schemes.standards import REPORT_TYPES, STANDARDS
from tenants.training.coverage import Period

from .sql import statements
from .test_members import reading, text


@pytest.fixture
def world(make, login_as):
    city = make.bureau("重庆市市场监督管理局", level="city")
    district = make.bureau("重庆两江新区市场监督管理局", parent=city)
    other = make.bureau("天津市红桥区市场监督管理局")
    tenant = make.tenant(slug="cq-park", name="两江数字园区", bureau=district, default_locale="en", standard="cq")
    other_tenant = make.tenant(slug="other-park", name="另一园区", bureau=district, default_locale="en",
                               standard="cq")
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    make.user("staff@example.com", tenant=tenant, role="staff")
    make.user("other-admin@example.com", tenant=other_tenant, role="admin")
    make.user("reviewer@example.com", name="区局审核员", bureau=district, bureau_role="reviewer")
    make.user("city@example.com", name="市局审核员", bureau=city, bureau_role="reviewer")
    make.user("stranger@example.com", bureau=other, bureau_role="reviewer")
    first = make.enterprise(tenant, name="甲科技有限公司", joined_on=date(2024, 1, 1))
    make.enterprise(tenant, name="乙制造有限公司", joined_on=date(2024, 3, 1), liaison=None)
    make.enterprise(tenant, name="丙数据有限公司", joined_on=date(2025, 2, 1), status="demonstration",
                    recognised_on=date(2025, 3, 18), certificate_no="渝示范-2025-001")
    from saas.auth.services import grant

    grant(make.user("ent@example.com"), tenant, "enterprise", first)
    db.session.execute(sa.update(User).values(locale="en"))  # English pages, to assert messages
    # On the platform since 2024: the 2025 reports are asked of them.
    db.session.execute(sa.update(Tenant).values(created_at=datetime(2024, 1, 1)))
    db.session.commit()
    _ledger(tenant.id, first)
    return SimpleNamespace(tenant=tenant, tid=tenant.id, other=other_tenant, url=f"/t/{tenant.slug}/reports",
                           first=first, admin=login_as("admin@example.com"), staff=login_as("staff@example.com"),
                           reviewer=login_as("reviewer@example.com"), city=login_as("city@example.com"),
                           stranger=login_as("stranger@example.com"), ent=login_as("ent@example.com"),
                           other_admin=login_as("other-admin@example.com"))


def _ledger(tenant_id: int, enterprise_id: int) -> None:
    """A station's ledger with a complaint and a rights-protection case in the first half of 2025,
    and a training event: figures that are not all zero."""
    from tenants.stations.models import ServiceLog, Station
    from tenants.training.models import Attendance, TrainingEvent

    with tenant_scope(tenant_id):
        station = Station(name="两江指导站")
        db.session.add(station)
        db.session.flush()
        db.session.add_all([
            ServiceLog(served_on=date(2025, 4, 2), station_id=station.id, category="complaint", case_status="received",
                       enterprise_id=enterprise_id, summary="前员工带走客户名单的投诉", outcome="已约谈"),
            ServiceLog(served_on=date(2025, 5, 9), station_id=station.id, category="rights_assistance",
                       enterprise_id=enterprise_id, summary="协助固定侵权证据"),
            ServiceLog(served_on=date(2025, 9, 1), station_id=station.id, category="consultation",
                       enterprise_id=enterprise_id, summary="下半年咨询"),
            TrainingEvent(title="商业秘密保护专题培训", held_on=date(2025, 3, 20), hours=3, organiser="base",
                          attendance=[Attendance(enterprise_id=enterprise_id, headcount=12)]),
        ])
        db.session.commit()


def begin(client, url, kind="cq_half_year", year=2025) -> int:
    response = client.post(f"{url}/start", data={"kind": kind, "year": str(year)})
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def fill(client, url, report_id, **texts):
    data = {"progress": "上半年工作推进顺利。", "measures": "建立联络员机制。", "problems": "中小企业签约率偏低。",
            "next_steps": "下半年开展宣传月。", "version": "0", **texts}
    response = client.post(f"{url}/{report_id}/sections", data=data)
    assert response.status_code == 302


def submit(client, url, report_id):
    return client.post(f"{url}/{report_id}/submit", data={"confirmed": "yes"})


def report(tenant_id, report_id) -> PeriodicReport:
    with reading(tenant_id) as s:
        row = s.get(PeriodicReport, report_id)
        s.expunge(row)
        return row


# --- one source of truth --------------------------------------------------------------------------

def test_every_figure_of_a_draft_is_the_metrics_service_for_the_same_period(world, app):
    report_id = begin(world.admin, world.url)
    row = report(world.tid, report_id)
    assert (row.period_start, row.period_end, row.due_on) == (date(2025, 1, 1), date(2025, 6, 15), date(2025, 6, 15))
    from tenants.reports.services import build

    with app.test_request_context(), tenant_scope(world.tid):
        tenant = db.session.get(Tenant, world.tid)
        data = build(db.session.get(PeriodicReport, report_id), tenant)
        metrics = tenant_metrics(Period(date(2025, 1, 1), date(2025, 6, 15)))
    names = [r["name"] for g in data["figures"] for r in g["rows"]]
    assert len(names) > 30 and "service_logs.complaint" in names and "members_with_liaison" in names
    for group in data["figures"]:
        for r in group["rows"]:
            assert r["value"] == metrics[r["name"]], r["name"]
    # The period is the report's own, not the calendar year: September's consultation is not in it.
    assert metrics["service_logs"] == 2 and metrics["complaints"] == 1 and metrics["demonstration_units"] == 1
    # Notable cases: the complaint, the rights-protection case, the recognition of the period.
    assert [c["summary"] for c in data["cases"]["services"]] == ["前员工带走客户名单的投诉", "协助固定侵权证据"]
    assert [c["certificate_no"] for c in data["cases"]["recognitions"]] == ["渝示范-2025-001"]
    # The page shows the same figures (the first lines of the narrative were drafted from them).
    page = text(world.admin.get(f"{world.url}/{report_id}"))
    assert 'data-metric="service_logs.complaint"' in page and "前员工带走客户名单的投诉" in page
    assert "3 member enterprises" in report(world.tid, report_id).sections["progress"]


def test_the_standards_report_types_and_dates():
    cq, tj, xc = STANDARDS["cq"], STANDARDS["tj"], STANDARDS["xc"]
    assert [k.key for k in cq.reports] == ["cq_half_year", "cq_year_end"]
    assert cq.reports[0].due_on(2026) == date(2026, 6, 15) and cq.reports[1].due_on(2026) == date(2026, 12, 15)
    # TJ-6: last year's work report, due at the end of the acceptance window (30 April next year).
    assert tj.reports[0].period(2025) == (date(2025, 1, 1), date(2025, 12, 31))
    assert tj.reports[0].due_on(2025) == date(2026, 4, 30)
    # XC-2 names no date for the yearly evaluation: none is invented.
    assert xc.reports[0].due_on(2025) is None and STANDARDS["wh"].reports == ()
    # The deadlines of the calendar feed and the reminders open the report.
    links = {d.uid.split("-")[0] + d.opens: d.link for d in cq.dates + tj.dates if d.reminder is not None}
    assert links == {"report06-15": "reports.due_cq_half_year", "report12-15": "reports.due_cq_year_end",
                     "acceptance01-01": "reports.due_tj_work_report"}
    assert set(REPORT_TYPES) == {"cq_half_year", "cq_year_end", "tj_work_report", "xc_annual_summary"}


def test_a_deadline_link_opens_its_report(world):
    report_id = begin(world.admin, world.url)
    response = world.admin.get(f"{world.url}/due/cq_half_year/2025")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/{report_id}")
    # Not started yet: the list of that year, where it can be drafted.
    response = world.admin.get(f"{world.url}/due/cq_year_end/2025")
    assert response.status_code == 302 and response.headers["Location"].endswith("/reports/?year=2025")


# --- the journey ----------------------------------------------------------------------------------

def test_draft_edit_submit_accept_and_on_time(world, app):
    report_id = begin(world.admin, world.url)
    fill(world.admin, world.url, report_id, progress="园区上半年完成联络员全覆盖。")
    confirm = world.admin.post(f"{world.url}/{report_id}/submit")
    assert confirm.status_code == 200 and "Submit version 1" in text(confirm)
    assert report(world.tid, report_id).status == "draft"  # the confirmation changes nothing
    assert submit(world.admin, world.url, report_id).status_code == 302
    # Double submit: one submission, one version, one event.
    again = submit(world.admin, world.url, report_id)
    assert again.status_code == 302
    assert "already submitted" in text(world.admin.get(again.headers["Location"]))
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(ReportVersion.id))) == 1
        assert s.scalar(sa.select(sa.func.count(ReportEvent.id))) == 1
        reviewers = {u for (u,) in s.execute(sa.select(User.email).join(Notification, Notification.user_id == User.id))}
    assert {"reviewer@example.com", "city@example.com"} <= reviewers and "stranger@example.com" not in reviewers
    row = report(world.tid, report_id)
    assert row.status == "submitted" and row.version == 1
    assert row.snapshot["sections"][0]["text"] == "园区上半年完成联络员全覆盖。"
    assert row.snapshot["period"] == {"start": "2025-01-01", "end": "2025-06-15"}
    # The base cannot edit a submitted report.
    world.admin.post(f"{world.url}/{report_id}/sections", data={"progress": "改了", "version": "1"})
    assert report(world.tid, report_id).sections["progress"] == "园区上半年完成联络员全覆盖。"

    # The bureau's workbench lists it; the district reviewer accepts it.
    bench = text(world.reviewer.get("/workbench/?tab=todo"))
    assert f"/t/cq-park/reports/{report_id}" in bench and 'data-kind="report"' in bench
    page = text(world.reviewer.get(f"{world.url}/{report_id}"))
    assert "decision-bar" in page and 'id="sections"' not in page
    assert world.reviewer.post(f"{world.url}/{report_id}/decide", data={"outcome": "accepted"}).status_code == 200
    response = world.reviewer.post(f"{world.url}/{report_id}/decide",
                                   data={"outcome": "accepted", "confirmed": "yes", "comment": "同意。"})
    assert response.status_code == 302
    row = report(world.tid, report_id)
    assert row.status == "accepted" and row.bureau_comment == "同意。"
    with reading(world.tid) as s:
        admin_notes = s.scalars(sa.select(Notification.text).join(User, User.id == Notification.user_id)
                                .where(User.email == "admin@example.com")).all()
    assert any("accepted" in n for n in admin_notes)
    assert f"/t/cq-park/reports/{report_id}" not in text(world.reviewer.get("/workbench/?tab=todo"))
    assert f"/t/cq-park/reports/{report_id}" in text(world.reviewer.get("/workbench/?tab=done"))
    # The bases may not decide.
    assert world.admin.post(f"{world.url}/{report_id}/decide", data={"outcome": "accepted"}).status_code == 403

    # Received on time: its first submission's day is on or before the due date. The test runs
    # after 15 June 2025, so the submission is dated back to 10 June; a second report, received
    # now, after its due date (15 December 2025), is late.
    with reading(world.tid) as s:
        s.execute(sa.update(PeriodicReport).where(PeriodicReport.id == report_id)
                  .values(first_submitted_at=datetime(2025, 6, 10, 16, 0)))
        s.commit()
    late = begin(world.admin, world.url, kind="cq_year_end")
    fill(world.admin, world.url, late)
    assert submit(world.admin, world.url, late).status_code == 302
    with app.app_context(), cross_tenant_reads("test: the roll-up's count"):
        counts = on_time_counts([world.tid, world.other.id], 2025)
        assert counts == {world.tid: (1, 2), world.other.id: (0, 0)}
        assert on_time_counts([world.tid], 2024) == {world.tid: (0, 0)}
        # On the due day itself it is still on time.
        with tenant_scope(world.tid):
            db.session.execute(sa.update(PeriodicReport).where(PeriodicReport.id == late)
                               .values(first_submitted_at=datetime(2025, 12, 15, 23, 59)))
            db.session.commit()
        assert on_time_counts([world.tid], 2025) == {world.tid: (2, 2)}


def test_returned_with_comment_then_resubmitted(world):
    report_id = begin(world.admin, world.url)
    fill(world.admin, world.url, report_id)
    submit(world.admin, world.url, report_id)
    # A return needs a comment: refused without one, nothing moves.
    response = world.city.post(f"{world.url}/{report_id}/decide", data={"outcome": "returned", "confirmed": "yes"})
    assert response.status_code == 302
    assert "comment is required" in text(world.city.get(response.headers["Location"]))
    assert report(world.tid, report_id).status == "submitted"
    asked = world.city.post(f"{world.url}/{report_id}/decide", data={"outcome": "returned"})
    assert asked.status_code == 422 and "comment is required" in text(asked)
    world.city.post(f"{world.url}/{report_id}/decide",
                    data={"outcome": "returned", "confirmed": "yes", "comment": "请补充典型案例。"})
    row = report(world.tid, report_id)
    assert row.status == "returned" and row.bureau_comment == "请补充典型案例。"
    first = row.first_submitted_at
    page = text(world.admin.get(f"{world.url}/{report_id}"))
    assert "请补充典型案例。" in page and 'id="sections"' in page
    fill(world.admin, world.url, report_id, measures="补充：协助企业固定证据一起。", version="1")
    assert submit(world.admin, world.url, report_id).status_code == 302
    row = report(world.tid, report_id)
    assert (row.status, row.version) == ("submitted", 2) and row.first_submitted_at == first
    assert row.snapshot["sections"][1]["text"] == "补充：协助企业固定证据一起。"
    with reading(world.tid) as s:
        versions = s.scalars(sa.select(ReportVersion).order_by(ReportVersion.version)).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].snapshot["sections"][1]["text"] == "建立联络员机制。"
        assert [e.to_status for e in s.scalars(sa.select(ReportEvent).order_by(ReportEvent.id))] == \
            ["submitted", "returned", "submitted"]


def test_an_empty_section_cannot_be_submitted(world):
    report_id = begin(world.admin, world.url)
    fill(world.admin, world.url, report_id, problems="  ")
    confirm = world.admin.post(f"{world.url}/{report_id}/submit")
    assert "Problems and suggestions" in text(confirm) and 'name="confirmed"' not in text(confirm)
    response = submit(world.admin, world.url, report_id)
    assert "is empty" in text(world.admin.get(response.headers["Location"]))
    assert report(world.tid, report_id).status == "draft"


def test_the_snapshot_does_not_move_when_records_change(world, make):
    report_id = begin(world.admin, world.url)
    fill(world.admin, world.url, report_id)
    submit(world.admin, world.url, report_id)
    before = report(world.tid, report_id).snapshot
    members = next(r for g in before["figures"] for r in g["rows"] if r["name"] == "active_members")
    assert members["value"] == 3
    make.enterprise(world.tenant, name="丁新材料有限公司", joined_on=date(2025, 2, 1))
    assert report(world.tid, report_id).snapshot == before
    page = text(world.admin.get(f"{world.url}/{report_id}"))
    assert '<tr data-metric="active_members"><td>Active members</td><td class="text-end">3</td>' in page
    # A draft's figures are live.
    draft = begin(world.admin, world.url, kind="cq_year_end")
    page = text(world.admin.get(f"{world.url}/{draft}"))
    assert '<tr data-metric="active_members"><td>Active members</td><td class="text-end">4</td>' in page


# --- who sees what --------------------------------------------------------------------------------

def test_isolation_and_roles(world):
    report_id = begin(world.admin, world.url)
    # A draft never submitted is the base's own: the bureau sees it on the list, not its text.
    assert world.reviewer.get(f"{world.url}/{report_id}").status_code == 404
    assert f"/reports/{report_id}" not in text(world.reviewer.get(f"{world.url}/?year=2025"))
    fill(world.admin, world.url, report_id)
    submit(world.admin, world.url, report_id)
    # Another tenant's admin, under its own slug with this id, and under this tenant's slug.
    assert world.other_admin.get(f"/t/other-park/reports/{report_id}").status_code == 404
    assert world.other_admin.get(f"{world.url}/{report_id}").status_code == 404
    # A reviewer of another bureau: 404; the tenant's own bureau and the city above it: 200.
    assert world.stranger.get(f"{world.url}/{report_id}").status_code == 404
    assert world.stranger.get(f"{world.url}/").status_code == 404
    assert world.reviewer.get(f"{world.url}/{report_id}").status_code == 200
    assert world.city.get(f"{world.url}/{report_id}").status_code == 200
    # Enterprise users never see the base's reports.
    for url in (f"{world.url}/", f"{world.url}/{report_id}", f"{world.url}/{report_id}/report.docx"):
        assert world.ent.get(url).status_code == 403
    assert "/reports/" not in text(world.ent.get("/t/cq-park/"))
    # Reviewers read but do not write; staff write.
    assert world.reviewer.post(f"{world.url}/start", data={"kind": "cq_year_end", "year": "2025"}).status_code == 403
    assert begin(world.staff, world.url, kind="cq_year_end") != report_id
    # A report of another set of standards is refused.
    response = world.admin.post(f"{world.url}/start", data={"kind": "tj_work_report", "year": "2025"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/reports/")
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(PeriodicReport.id)).where(PeriodicReport.kind == "tj_work_report")) == 0


# --- overdue --------------------------------------------------------------------------------------

def test_overdue_on_the_list_and_one_notice(world, app):
    from tenants.reports.tasks import notify_overdue

    page = text(world.admin.get(f"{world.url}/?year=2025"))
    assert page.count('data-overdue="yes"') == 2  # both 2025 reports passed their dates, not started
    with app.test_request_context():
        assert notify_overdue(date(2026, 1, 10), tenant_ids=[world.tid]) == 2
        assert notify_overdue(date(2026, 1, 11)) == 2  # the other park's two, this one's not again
        assert notify_overdue(date(2026, 1, 12)) == 0  # once
        # A base that came to the platform in 2026 is not asked for 2025's reports.
        newcomer = Tenant.query.filter_by(slug="other-park").one()
        newcomer.created_at = datetime(2026, 1, 5)
        db.session.execute(sa.delete(PeriodicReport).where(PeriodicReport.tenant_id == newcomer.id))
        db.session.commit()
        assert notify_overdue(date(2026, 1, 13)) == 0
    with reading(world.tid) as s:
        notes = s.scalars(sa.select(Notification.text).join(User, User.id == Notification.user_id)
                          .where(User.email == "admin@example.com")).all()
        assert len(notes) == 2 and all("not submitted" in n for n in notes)
        # Drafted, so the roll-up counts them as due.
        assert s.scalar(sa.select(sa.func.count(PeriodicReport.id)).where(PeriodicReport.year == 2025)) == 2
    with app.app_context(), cross_tenant_reads("test"):
        assert on_time_counts([world.tid], 2025, today=date(2026, 1, 10)) == {world.tid: (0, 2)}
    # A submitted report is no longer overdue.
    with reading(world.tid) as s:
        report_id = s.scalar(sa.select(PeriodicReport.id).where(PeriodicReport.kind == "cq_half_year"))
    fill(world.admin, world.url, report_id)
    submit(world.admin, world.url, report_id)
    assert text(world.admin.get(f"{world.url}/?year=2025")).count('data-overdue="yes"') == 1


def test_list_page_sql_is_constant(world, app, uncached):
    world.admin.get(f"{world.url}/")
    with statements() as small:
        assert world.admin.get(f"{world.url}/").status_code == 200
    with tenant_scope(world.tid):
        for year in range(2010, 2020):
            for key in ("cq_half_year", "cq_year_end"):
                kind = REPORT_TYPES[key]
                start, end = kind.period(year)
                db.session.add(PeriodicReport(kind=key, year=year, period_start=start, period_end=end,
                                              due_on=kind.due_on(year), sections={}))
        db.session.commit()
    with statements() as large:
        response = world.admin.get(f"{world.url}/")
    assert text(response).count("<tr data-kind=") >= 20
    assert len(large) == len(small), large


# --- documents ------------------------------------------------------------------------------------

def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_docx_and_pdf_carry_the_text_and_the_figures(world, app):
    from docx import Document

    from tenants.reports.services import build
    from tenants.reports.tasks import render, version_path, version_pdf

    report_id = begin(world.admin, world.url)
    fill(world.admin, world.url, report_id, progress="联络员全覆盖，培训十二人次。")
    draft = Document(io.BytesIO(world.admin.get(f"{world.url}/{report_id}/report.docx").data))
    body = "\n".join(p.text for p in draft.paragraphs)
    cells = [c.text for t in draft.tables for row in t.rows for c in row.cells]
    assert "联络员全覆盖，培训十二人次。" in body and "Draft, not submitted" in body
    assert "Complaints received" in cells and "前员工带走客户名单的投诉" in cells

    with app.test_request_context(), tenant_scope(world.tid):
        data = build(db.session.get(PeriodicReport, report_id), db.session.get(Tenant, world.tid))
        preview = _pdf_text(render(data, "zh_CN", draft=True))
    assert "草稿" in preview and "联络员全覆盖" in preview

    submit(world.admin, world.url, report_id)
    # Records change after the submission: the documents of the version do not.
    from tenants.stations.models import ServiceLog

    with tenant_scope(world.tid):
        log = db.session.scalar(sa.select(ServiceLog).where(ServiceLog.category == "complaint"))
        log.summary = "改写后的摘要"
        db.session.commit()
    frozen = Document(io.BytesIO(world.admin.get(f"{world.url}/{report_id}/report.docx").data))
    cells = [c.text for t in frozen.tables for row in t.rows for c in row.cells]
    assert "前员工带走客户名单的投诉" in cells and "改写后的摘要" not in cells
    assert "Draft, not submitted" not in "\n".join(p.text for p in frozen.paragraphs)

    with app.test_request_context(), tenant_scope(world.tid):
        result = version_pdf(JobContext(0), report_id, 1)
        again = version_pdf(JobContext(0), report_id, 1)  # made once: the same file and digest
        db.session.commit()
        path = version_path(report_id, 1)
    assert result["sha256"] == again["sha256"] and again["matches"]
    pdf = (Path(app.config["UPLOAD_DIR"]) / path).read_bytes()
    words = _pdf_text(pdf)
    assert "联络员全覆盖" in words and "前员工带走客户名单的投诉" in words and "改写后的摘要" not in words
    assert "草稿" not in words
    download = world.admin.get(f"{world.url}/{report_id}/versions/1/pdf")
    assert download.status_code == 200 and download.data == pdf
    with reading(world.tid) as s:
        assert s.scalar(sa.select(ReportVersion.sha256).where(ReportVersion.report_id == report_id)) == result["sha256"]
