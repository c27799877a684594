"""The base's application for recognition (issue 7): start, missing-items checklist, frozen
submission with versions, the dossier PDF (real worker, real wkhtmltopdf, pdftotext), a killed PDF
job retried, the full review chain with district and city reviewers, permissions, the public
notice and the re-review date.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.jobs import JobContext, JobRecord
from saas.mail import SentMail
from saas.notifications import Notification
from saas.tenancy import tenant_scope
from tenants.applications.models import Application, ApplicationEvent, ApplicationVersion, Objection, ReviewScore
from tenants.members.models import Enterprise
from tenants.members.services import change_status
from tenants.schemes.models import Declaration

Y = 2025  # a past year: its members, withdrawals and figures are settled
ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("basic", "needs", "work_done", "cases", "next_steps")
TEXTS = {
    "basic": "园区现有入驻企业二百余家，设立商业秘密保护工作领导小组。",
    "needs": "园区企业以汽车电子为主，技术秘密保护需求突出。",
    "work_done": "全年开展培训十二场，覆盖联系企业八成以上。",
    "cases": "指导某企业建立涉密岗位分级管理制度，成功制止一起离职员工带走图纸事件。",
    "next_steps": "明年推动示范单位扩展到十家。",
}
EVIL = "<script>alert(1)</script><iframe src='file:///etc/passwd'>"


# --- helpers -------------------------------------------------------------------------------------

def text(response) -> str:
    return response.get_data(as_text=True)


@contextmanager
def reading(tenant_id):
    """Fresh reads of what the requests (own app contexts, own sessions) committed."""
    db.session.rollback()
    db.session.expire_all()
    with tenant_scope(tenant_id):
        yield db.session


def run_worker() -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
                            cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def url(slug, application_id=None, tail="") -> str:
    base = f"/t/{slug}/applications"
    return f"{base}/{application_id}{tail}" if application_id is not None else f"{base}{tail}"


def start(client, slug="park", year=Y, scheme="cq-park") -> int:
    response = client.post(url(slug, tail="/start"), data={"scheme": scheme, "year": str(year)})
    assert response.status_code == 302, response.status_code
    found = re.search(r"/applications/(\d+)$", response.headers["Location"])
    assert found, f"start did not lead to an application page: {response.headers['Location']}"
    return int(found.group(1))


def fill(client, application_id, slug="park", **changes):
    response = client.post(url(slug, application_id, "/sections"), data={**TEXTS, **changes})
    assert response.status_code == 302, response.status_code
    return response


def submit(client, application_id, slug="park"):
    """Submit, confirmed, with the unmet items acknowledged (the confirmation page lists them)."""
    return client.post(url(slug, application_id, "/submit"), data={"confirmed": "yes", "acknowledge": "yes"})


# The button that leads to each status (tenants.applications.flow.MOVES).
ACTION = {"district_review": "accept", "city_review": "accept", "recommended": "approve", "public_notice": "approve",
          "recognised": "approve", "returned": "return", "rejected": "refuse", "revoked": "revoke"}


def move(client, application_id, to, slug="park", **form):
    """A reviewer's button pressed and confirmed; `to` names the status it leads to, `comment`
    is the opinion."""
    opinion = form.pop("comment", "")
    return client.post(url(slug, application_id, "/decide"),
                       data={"action": ACTION.get(to, to), "opinion": opinion, "confirmed": "yes", **form})


def review_steps_done(tenant_id, application_id, user_id, passed=True):
    """The city review's recorded steps (CQ-3) and the panel's verdict, as the buttons and the
    scoring panel record them, straight into the database."""
    with tenant_scope(tenant_id):
        for step in ("materials", "data_check", "on_site", "expert"):
            db.session.add(ApplicationEvent(application_id=application_id, from_status="city_review",
                                            to_status="city_review", user_id=user_id, comment="核查无异常",
                                            step=step))
        db.session.get(Application, application_id).panel_passed = passed
        db.session.commit()


def said(client, response) -> str:
    """What the user was told: the page a refusal redirected to (flashed), or the page itself
    (a confirmation shown again with its error)."""
    if response.status_code == 302:
        return text(client.get(response.headers["Location"]))
    return text(response)


def status_on_page(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.search(r'id="status" data-status="(\w+)"', text(response)).group(1)


def page_figures(response) -> dict[str, str]:
    assert response.status_code == 200, response.status_code
    return dict(re.findall(r'data-metric="(\w+)">([^<]*)</td>', text(response)))


def page_members(response) -> int:
    return int(re.search(r'id="dossier-members">(\d+)<', text(response)).group(1))


def page_checklist(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.status_code
    found = re.search(r'<ul[^>]*id="checklist">(.*?)</ul>', text(response), re.S)
    if not found:
        return []
    levels = {"text-danger": "blocker", "text-warning-emphasis": "warning"}
    return [(levels[cls], re.sub(r"\s+", " ", msg).strip(" ✗!"))
            for cls, msg in re.findall(r'<li class="([\w-]+)">(.*?)</li>', found.group(1), re.S)]


def application(tenant_id, application_id) -> SimpleNamespace:
    """A plain copy of the application row and its versions, events, scores, objections."""
    with reading(tenant_id) as s:
        a = s.get(Application, application_id)
        versions = s.scalars(sa.select(ApplicationVersion).where(ApplicationVersion.application_id == application_id)
                             .order_by(ApplicationVersion.version)).all()
        events = s.scalars(sa.select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
                           .order_by(ApplicationEvent.id)).all()
        scores = s.scalars(sa.select(ReviewScore).where(ReviewScore.application_id == application_id)).all()
        objections = s.scalars(sa.select(Objection).where(Objection.application_id == application_id)).all()
        return SimpleNamespace(
            status=a.status, version=a.version, sections=dict(a.sections or {}), snapshot=a.snapshot,
            pdf_path=a.pdf_path, pdf_sha256=a.pdf_sha256, submitted_by_id=a.submitted_by_id,
            submitted_at=a.submitted_at, notice_start=a.notice_start, notice_end=a.notice_end,
            recognised_on=a.recognised_on, certificate_no=a.certificate_no, rereview_due=a.rereview_due,
            final_score=a.final_score,
            versions=[SimpleNamespace(version=v.version, snapshot=v.snapshot, pdf_path=v.pdf_path,
                                      pdf_sha256=v.pdf_sha256) for v in versions],
            events=[SimpleNamespace(from_status=e.from_status, to_status=e.to_status, user_id=e.user_id,
                                    comment=e.comment, step=e.step, section_comments=dict(e.section_comments or {}))
                    for e in events],
            scores=sorted((r.scorer, r.item, r.points) for r in scores),
            objections=[(o.received_on, o.text) for o in objections])


def put_application(tenant_id, status, year=Y, **fields) -> int:
    """An application straight into the database at some point of the chain."""
    with tenant_scope(tenant_id):
        row = Application(scheme=fields.pop("scheme", "cq-park"), year=year, status=status,
                          sections=dict(TEXTS), **fields)
        db.session.add(row)
        db.session.commit()
        return row.id


def figure(snapshot: dict, name: str) -> str:
    return {m["name"]: m["value"] for m in snapshot["metrics"]}[name]


def pdf_pages(pdf: bytes) -> list[str]:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    # Exactly the characters written: no Kangxi radical for an ideograph (saas/pdf/text.py).
    assert not [c for c in out if 0x2E80 <= ord(c) <= 0x2FDF], out
    pages = out.split("\f")
    return [p for p in pages if p.strip()]


def flat(s: str) -> str:
    """Without white space: table cells wrap long names over several lines."""
    return re.sub(r"\s+", "", s)


def notifications_of(user_id) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)))


def mails_to(email) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(SentMail.subject).where(SentMail.recipient == email)
                                   .order_by(SentMail.id)))


def rereview_expected(on: date, years: int = 2) -> date:
    """The last day of the term, by which the re-review is due (the day before the anniversary)."""
    if on.month == 2 and on.day == 29:
        return date(on.year + years, 2, 28)
    return on.replace(year=on.year + years) - timedelta(days=1)


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture
def world(make, login_as):
    """A district bureau under a city bureau, a second district; the tenant "park" (English pages)
    in the first district, "neighbour" in the second; their users and the three reviewers."""
    city = make.bureau("测试市市场监督管理局", level="city")
    district = make.bureau("测试甲区市场监督管理局", level="district", parent=city)
    other = make.bureau("测试乙区市场监督管理局", level="district", parent=city)
    tenant = make.tenant(slug="park", name="两江商业秘密保护示范园区", bureau=district, default_locale="en")
    neighbour = make.tenant(slug="neighbour", name="乙区产业园", bureau=other, default_locale="en")
    admin = make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    admin2 = make.user("admin2@example.com", name="园区副主任", tenant=tenant, role="admin")
    staff = make.user("staff@example.com", name="园区职员", tenant=tenant, role="staff")
    neighbour_admin = make.user("nadmin@example.com", name="乙区园区管理员", tenant=neighbour, role="admin")
    district_reviewer = make.user("district@example.com", name="甲区审核员", bureau=district, bureau_role="reviewer")
    city_reviewer = make.user("city@example.com", name="市审核员", bureau=city, bureau_role="reviewer")
    other_reviewer = make.user("other@example.com", name="乙区审核员", bureau=other, bureau_role="reviewer")
    return SimpleNamespace(
        make=make, city=city, district=district, other=other, tenant=tenant, tid=tenant.id, neighbour=neighbour,
        admin_id=admin.id, admin2_id=admin2.id, staff_id=staff.id, neighbour_admin_id=neighbour_admin.id,
        district_reviewer_id=district_reviewer.id, city_reviewer_id=city_reviewer.id,
        other_reviewer_id=other_reviewer.id,
        admin=login_as("admin@example.com"), staff=login_as("staff@example.com"),
        dist=login_as("district@example.com"), cityrev=login_as("city@example.com"),
        otherrev=login_as("other@example.com"), nadmin=login_as("nadmin@example.com"))


def add_member(world, name, status="liaison", **kw) -> int:
    return world.make.enterprise(world.tenant, name=name, status=status, **kw)


def members(world, demo=5, plain=1) -> dict[str, int]:
    ids = {}
    for i in range(demo):
        ids[f"示范企业{i + 1}"] = add_member(world, f"示范企业{i + 1}", "demonstration")
    for i in range(plain):
        ids[f"联系企业{i + 1}"] = add_member(world, f"联系企业{i + 1}")
    return ids


# --- 1. start, checklist, refused submission ------------------------------------------------------

def test_admin_starts_an_application_staff_cannot(world):
    members(world, demo=2, plain=1)
    assert world.staff.post(url("park", tail="/start"), data={"scheme": "cq-park", "year": str(Y)}).status_code == 403
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(Application.id))) == 0
    application_id = start(world.admin)
    assert start(world.admin) == application_id, "starting the same scheme and year again opens the same one"
    # An enterprise scheme is not an application of the base.
    world.admin.post(url("park", tail="/start"), data={"scheme": "cq-enterprise", "year": str(Y)})
    with reading(world.tid) as s:
        rows = s.execute(sa.select(Application.scheme, Application.year, Application.status, Application.version)).all()
    assert rows == [("cq-park", Y, "draft", 0)]
    # Staff may read it but not write it.
    assert world.staff.get(url("park", application_id)).status_code == 200
    assert world.staff.post(url("park", application_id, "/sections"), data=TEXTS).status_code == 403
    assert submit(world.staff, application_id).status_code == 403


def test_page_shows_live_figures_and_what_is_missing_and_submit_is_refused(world):
    members(world, demo=2, plain=1)
    add_member(world, "无联络员企业", liaison=None)
    application_id = start(world.admin)
    page = world.admin.get(url("park", application_id))
    assert status_on_page(page) == "draft"
    figures = page_figures(page)
    assert figures["active_members"] == "4"
    assert figures["members_with_liaison"] == "3"
    assert figures["demonstration_units"] == "2"
    assert page_members(page) == 4
    checklist = page_checklist(page)
    blockers = [m for level, m in checklist if level == "blocker"]
    warnings = [m for level, m in checklist if level == "warning"]
    for title in ("Basic situation", "Needs and strengths", "Work done", "Typical cases", "Next steps"):
        assert f"The section “{title}” is empty." in blockers
    assert "Only 2 demonstration units: the standard asks for at least 5." in warnings
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>Submit</button>', text(page))

    refused = submit(world.admin, application_id)
    assert refused.status_code == 302
    after = world.admin.get(refused.headers["Location"])
    assert "The section “Basic situation” is empty." in text(after)
    a = application(world.tid, application_id)
    assert (a.status, a.version, a.snapshot, a.submitted_at, a.versions, a.events) == ("draft", 0, None, None, [], [])
    assert notifications_of(world.admin_id) == [] and mails_to("admin@example.com") == []
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(JobRecord.id))) == 0

    # One section written: the other four still block.
    fill(world.admin, application_id, needs="", work_done="", cases="", next_steps="")
    blockers = [m for level, m in page_checklist(world.admin.get(url("park", application_id))) if level == "blocker"]
    assert blockers == [f"The section “{t}” is empty." for t in
                        ("Needs and strengths", "Work done", "Typical cases", "Next steps")]
    submit(world.admin, application_id)
    assert application(world.tid, application_id).status == "draft"

    # A manual item declared met without its evidence (印证材料) blocks too.
    with tenant_scope(world.tid):
        db.session.add(Declaration(scheme="cq-park", year=Y, item="1", met=True, note="领导小组已成立"))
        db.session.commit()
    fill(world.admin, application_id)
    checklist = page_checklist(world.admin.get(url("park", application_id)))
    assert [m for level, m in checklist if level == "blocker"] == \
        ["Item 1 is declared met but has no supporting evidence."]
    submit(world.admin, application_id)
    a = application(world.tid, application_id)
    assert (a.status, a.version, a.versions) == ("draft", 0, [])

    # Without blockers it goes, warnings and all (they were shown, not silently passed).
    with tenant_scope(world.tid):
        db.session.execute(sa.delete(Declaration))
        db.session.commit()
    page = world.admin.get(url("park", application_id))
    assert [level for level, _m in page_checklist(page)].count("blocker") == 0
    assert "Only 2 demonstration units: the standard asks for at least 5." in text(page)
    assert submit(world.admin, application_id).status_code == 302
    assert application(world.tid, application_id).status == "submitted"


# --- 2. frozen snapshot, double submit, no edits while submitted ----------------------------------

def test_submission_freezes_the_figures_and_the_member_list(world):
    ids = members(world, demo=3, plain=2)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    assert submit(world.admin, application_id).status_code == 302
    before = application(world.tid, application_id)
    assert before.status == "submitted" and before.version == 1
    assert before.submitted_by_id == world.admin_id and before.submitted_at is not None
    old_names = sorted(ids)
    assert sorted(m["name"] for m in before.snapshot["members"]) == old_names
    assert figure(before.snapshot, "active_members") == "5" and figure(before.snapshot, "demonstration_units") == "3"
    assert [v.version for v in before.versions] == [1]
    assert before.versions[0].snapshot == before.snapshot
    assert [s["text"] for s in before.snapshot["sections"]] == [TEXTS[c] for c in SECTIONS]

    # The roster changes after submission: two join, one is renamed, a demonstration unit leaves.
    add_member(world, "新加入企业甲", "demonstration")
    add_member(world, "新加入企业乙")
    with tenant_scope(world.tid):
        db.session.get(Enterprise, ids["示范企业1"]).name = "改名后的企业"
        change_status(db.session.get(Enterprise, ids["示范企业2"]), "withdrawn", on=date(Y, 6, 30), reason="迁出园区")
        db.session.commit()
    from tenants.metrics.service import tenant_metrics
    from tenants.training.coverage import Period

    with reading(world.tid):
        live = tenant_metrics(Period.year(Y))
    assert (live["active_members"], live["demonstration_units"]) == (6, 3), "the live data did change"

    page = world.admin.get(url("park", application_id))
    assert status_on_page(page) == "submitted"
    figures = page_figures(page)
    assert figures["active_members"] == "5" and figures["demonstration_units"] == "3"
    assert page_members(page) == 5
    assert "frozen at submission" in text(page)
    # The reviewers see the same frozen figures.
    assert page_figures(world.dist.get(url("park", application_id)))["active_members"] == "5"

    after = application(world.tid, application_id)
    assert after.snapshot == before.snapshot
    assert after.versions[0].snapshot == before.snapshot
    names = sorted(m["name"] for m in after.versions[0].snapshot["members"])
    assert names == old_names and "改名后的企业" not in names and "新加入企业甲" not in names
    assert "示范企业2" in after.snapshot["demonstration_units"]

    # Double submission: refused, no second version, no second event, no second PDF job.
    again = submit(world.admin, application_id)
    assert again.status_code == 302
    assert "already submitted" in text(world.admin.get(again.headers["Location"]))
    after = application(world.tid, application_id)
    assert after.version == 1 and [v.version for v in after.versions] == [1]
    assert [(e.from_status, e.to_status) for e in after.events] == [("draft", "submitted")]
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(JobRecord.id))) == 1

    # While submitted the sections cannot be edited, and the page offers no form for them.
    response = world.admin.post(url("park", application_id, "/sections"),
                                data={**TEXTS, "basic": "提交后偷偷修改"})
    assert response.status_code == 302
    assert "cannot be edited" in text(world.admin.get(response.headers["Location"]))
    assert application(world.tid, application_id).sections == TEXTS
    page = text(world.admin.get(url("park", application_id)))
    assert 'name="basic"' not in page and 'name="cases"' not in page
    assert "提交后偷偷修改" not in page


# --- 3. the dossier PDF ---------------------------------------------------------------------------

@pytest.mark.slow
def test_dossier_pdf_is_stored_hashed_searchable_and_inert(make, login_as, app):
    city = make.bureau("重庆市市场监督管理局", level="city")
    district = make.bureau("两江新区市场监督管理局", level="district", parent=city)
    tenant = make.tenant(slug="liangjiang", name="两江新区商业秘密保护示范园区", bureau=district)  # Chinese pages
    make.user("pdfadmin@example.com", name="园区管理员", tenant=tenant, role="admin")
    make.user("pdfrev@example.com", name="区审核员", bureau=district, bureau_role="reviewer")
    names = [f"重庆示范成员企业{i:03d}" for i in range(1, 66)]
    for i, name in enumerate(names):
        make.enterprise(tenant, name=name, status="demonstration" if i < 5 else "liaison", liaison=f"联络员{i + 1:03d}")
    make.enterprise(tenant, name=EVIL, liaison="恶意联络员")
    client = login_as("pdfadmin@example.com")
    application_id = start(client, slug="liangjiang")
    fill(client, application_id, slug="liangjiang")
    assert submit(client, application_id, slug="liangjiang").status_code == 302
    page = text(client.get(url("liangjiang", application_id)))
    assert "<script>alert(1)</script>" not in page  # the page escapes it too

    run_worker()
    a = application(tenant.id, application_id)
    assert a.status == "submitted"
    v1 = a.versions[0]
    assert v1.pdf_path == f"{tenant.id}/applications/{application_id}-v1.pdf"
    path = Path(app.config["UPLOAD_DIR"]) / v1.pdf_path
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert v1.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert (a.pdf_path, a.pdf_sha256) == (v1.pdf_path, v1.pdf_sha256)
    with reading(tenant.id) as s:
        record = s.scalar(sa.select(JobRecord).where(JobRecord.key == f"dossier:{application_id}:v1"))
        assert (record.status, record.result["sha256"]) == ("done", v1.pdf_sha256)

    download = client.get(url("liangjiang", application_id, "/versions/1/pdf"))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == pdf
    assert "attachment" in download.headers["Content-Disposition"]
    assert login_as("pdfrev@example.com").get(url("liangjiang", application_id, "/versions/1/pdf")).data == pdf
    assert client.get(url("liangjiang", application_id, "/versions/2/pdf")).status_code == 404

    pages = pdf_pages(pdf)
    whole = "\n".join(pages)
    assert "两江新区商业秘密保护示范园区" in pages[0] and "申报表" in pages[0]
    assert "两江新区市场监督管理局" in pages[0]
    assert flat(TEXTS["cases"]) in flat(whole)  # the characters written, "，" included
    for name in names:
        assert flat(whole).count(name) == (2 if name in names[:5] else 1), name  # demonstration units twice
    assert "联络员065" in whole
    # The member table runs over several pages, its header on each of them.
    member_pages = [p for p in pages if any(n in p for n in names[5:])]
    assert len(member_pages) >= 2
    for p in member_pages:
        first_row = min(p.index(n) for n in names if n in p)
        assert "统一社会信用代码" in p[:first_row] and "联络员" in p[:first_row], "header above the rows on each page"
    # The hostile name is text; nothing was read from the disk.
    assert "<script>alert(1)</script><iframesrc='file:///etc/passwd'>" in flat(whole)
    assert "root:" not in whole and "/bin/" not in whole


# --- 4. a killed PDF job retried writes one file ---------------------------------------------------

@pytest.mark.slow
def test_killed_pdf_job_is_retried_and_leaves_one_file(world, app):
    members(world, demo=5, plain=1)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    folder = Path(app.config["UPLOAD_DIR"]) / str(world.tid) / "applications"
    shutil.rmtree(folder, ignore_errors=True)  # tenant ids restart per test: start from an empty folder
    assert submit(world.admin, application_id).status_code == 302
    with reading(world.tid) as s:
        record = s.scalar(sa.select(JobRecord).where(JobRecord.key == f"dossier:{application_id}:v1"))
        record_id = record.id

    # First attempt: the work horse writes the PDF and is killed before its transaction commits.
    from tenants.applications.tasks import version_pdf

    with app.test_request_context(), tenant_scope(world.tid):
        record = db.session.get(JobRecord, record_id)
        record.status, record.attempts = "running", 1
        db.session.commit()
        version_pdf(JobContext(record_id), application_id, 1, "en")
        db.session.rollback()  # killed: nothing of the job's own work committed
        record = db.session.get(JobRecord, record_id)
        record.status, record.message = "failed", "worker_lost"  # what reconcile() records for a dead horse
        db.session.commit()
    assert len(list(folder.iterdir())) == 1
    assert application(world.tid, application_id).versions[0].pdf_path == ""

    # The user retries it; the worker runs it to the end.
    retry = world.admin.post(f"/t/park/jobs/{record_id}/retry")
    assert retry.status_code == 302
    run_worker()
    with reading(world.tid) as s:
        record = s.get(JobRecord, record_id)
        assert (record.status, record.attempts) == ("done", 2), (record.status, record.message)
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"{application_id}-v1.pdf"]
    v1 = application(world.tid, application_id).versions[0]
    assert v1.pdf_sha256 == hashlib.sha256((folder / files[0]).read_bytes()).hexdigest()

    # Asked for again while it exists: refused, no job (a submitted version's file never changes).
    made = (folder / files[0]).read_bytes()
    again = world.admin.post(url("park", application_id, "/versions/1/pdf"))
    assert again.status_code == 302 and "does not change" in text(world.admin.get(again.headers["Location"]))
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(JobRecord.id))) == 1
    # Lost, then made again (a new job, a new key once the first is done): one file, the same bytes.
    (folder / files[0]).unlink()
    again = world.admin.post(url("park", application_id, "/versions/1/pdf"))
    assert again.status_code == 302
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(JobRecord.id))) == 2
    run_worker()
    assert sorted(p.name for p in folder.iterdir()) == [f"{application_id}-v1.pdf"]
    assert (folder / files[0]).read_bytes() == made
    assert application(world.tid, application_id).versions[0].pdf_sha256 == v1.pdf_sha256
    assert world.admin.get(url("park", application_id, "/versions/1/pdf")).data == made

    # Two direct runs of the same version: one file.
    with app.test_request_context(), tenant_scope(world.tid):
        version_pdf(JobContext(record_id), application_id, 1, "en")
        version_pdf(JobContext(record_id), application_id, 1, "en")
        db.session.commit()
    assert sorted(p.name for p in folder.iterdir()) == [f"{application_id}-v1.pdf"]
    v1 = application(world.tid, application_id).versions[0]
    assert v1.pdf_sha256 == hashlib.sha256((folder / files[0]).read_bytes()).hexdigest()


# --- 5. the full chain ----------------------------------------------------------------------------

def test_full_review_chain_with_return_resubmission_notice_and_recognition(world):
    members(world, demo=5, plain=1)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    assert submit(world.admin, application_id).status_code == 302

    # District: into review, then back to the tenant with comments (a reason is required).
    move(world.dist, application_id, "district_review")
    assert application(world.tid, application_id).status == "district_review"
    refused = move(world.dist, application_id, "returned", comment="  ")
    assert "Give the reasons." in said(world.dist, refused)
    assert application(world.tid, application_id).status == "district_review"
    move(world.dist, application_id, "returned", comment="请补充典型案例的处理结果",
         **{"comment-cases": "案例缺少处理结果", "comment-next_steps": "目标需量化"})
    a = application(world.tid, application_id)
    assert a.status == "returned"
    page = text(world.admin.get(url("park", application_id)))
    assert "请补充典型案例的处理结果" in page and "案例缺少处理结果" in page and "目标需量化" in page
    assert 'name="cases"' in page, "the returned application is editable again"

    # The tenant revises and resubmits: version 2, version 1 kept as it was.
    fill(world.admin, application_id, cases="指导企业追回图纸，涉事员工被依法处理。", next_steps="明年示范单位达到十家。")
    assert application(world.tid, application_id).sections["cases"] == "指导企业追回图纸，涉事员工被依法处理。"
    assert submit(world.admin, application_id).status_code == 302
    a = application(world.tid, application_id)
    assert (a.status, a.version) == ("submitted", 2)
    assert [v.version for v in a.versions] == [1, 2]
    cases = lambda snap: {s["code"]: s["text"] for s in snap["sections"]}["cases"]  # noqa: E731
    assert cases(a.versions[0].snapshot) == TEXTS["cases"]
    assert cases(a.versions[1].snapshot) == "指导企业追回图纸，涉事员工被依法处理。"
    assert a.snapshot == a.versions[1].snapshot

    move(world.dist, application_id, "district_review")
    move(world.dist, application_id, "recommended", comment="同意推荐")
    assert application(world.tid, application_id).status == "recommended"

    # City: review and scores (named experts, entered by the city reviewer).
    move(world.cityrev, application_id, "city_review")
    assert application(world.tid, application_id).status == "city_review"
    zero = {f"points-{n}": "0" for n in range(1, 18)}  # a sheet gives every item: 0 where nothing is due
    world.cityrev.post(url("park", application_id, "/scores"),
                       data={**zero, "scorer": "张专家", "points-5": "5", "points-7": "4", "points-14": "5"})
    world.cityrev.post(url("park", application_id, "/scores"),
                       data={**zero, "scorer": "李专家", "points-5": "4", "points-7": "3", "points-14": "5"})
    world.cityrev.post(url("park", application_id, "/scores"),
                       data={**zero, "scorer": "李专家", "points-5": "4", "points-7": "4", "points-14": "5"})
    bad = world.cityrev.post(url("park", application_id, "/scores"), data={**zero, "scorer": "王专家", "points-5": "6"})
    assert "the points must be between 0 and 5" in text(world.cityrev.get(bad.headers["Location"]))
    # Not a number: nothing of the post is kept, not even its valid items.
    bad = world.cityrev.post(url("park", application_id, "/scores"),
                             data={**zero, "scorer": "王专家", "points-5": "3", "points-7": "四"})
    assert "the points are a number from 0 to 5" in text(world.cityrev.get(bad.headers["Location"]))
    scores = application(world.tid, application_id).scores
    assert len(scores) == 34 and [s for s in scores if s[2]] == sorted([
        ("张专家", "5", 5.0), ("张专家", "7", 4.0), ("张专家", "14", 5.0),
        ("李专家", "5", 4.0), ("李专家", "7", 4.0), ("李专家", "14", 5.0)])
    # No objections before the public notice.
    move(world.cityrev, application_id, "object", comment="提前的异议")
    assert application(world.tid, application_id).objections == []
    review_steps_done(world.tid, application_id, world.city_reviewer_id)

    # Public notice: 15 days from the given start, objections recorded, recognition after it.
    start_day = date.today() - timedelta(days=30)
    move(world.cityrev, application_id, "public_notice", notice_start=start_day.isoformat())
    a = application(world.tid, application_id)
    assert (a.status, a.notice_start, a.notice_end) == ("public_notice", start_day, start_day + timedelta(days=14))
    move(world.cityrev, application_id, "object", comment="该园区示范单位数量不实",
         received_on=(start_day + timedelta(days=3)).isoformat())
    assert application(world.tid, application_id).objections == [(start_day + timedelta(days=3), "该园区示范单位数量不实")]
    # The open objection blocks recognition until its outcome is recorded.
    refused = move(world.cityrev, application_id, "recognised", certificate_no="渝商秘示范〔2026〕第001号")
    assert "is not resolved" in said(world.cityrev, refused)
    assert application(world.tid, application_id).status == "public_notice"
    with reading(world.tid) as s:
        objection_id = s.scalar(sa.select(Objection.id))
    move(world.cityrev, application_id, "resolve", comment="经核查，示范单位数量属实", objection_id=str(objection_id))
    move(world.cityrev, application_id, "recognised", certificate_no="渝商秘示范〔2026〕第001号")
    a = application(world.tid, application_id)
    today = date.today()
    assert (a.status, a.recognised_on, a.certificate_no) == ("recognised", today, "渝商秘示范〔2026〕第001号")
    assert a.final_score == pytest.approx((14 + 13) / 2)
    assert a.rereview_due == rereview_expected(today)
    page = text(world.admin.get(url("park", application_id)))
    assert "渝商秘示范〔2026〕第001号" in page and "Final score" in page and "13.5" in page
    move(world.cityrev, application_id, "object", comment="公示结束后的异议")
    assert len(application(world.tid, application_id).objections) == 1

    # Revocation needs a reason and its grounds (CQ-3).
    move(world.cityrev, application_id, "revoked", grounds="no_longer_meets")
    assert application(world.tid, application_id).status == "recognised"
    move(world.cityrev, application_id, "revoked", comment="复审不合格")
    assert application(world.tid, application_id).status == "recognised"
    move(world.cityrev, application_id, "revoked", comment="复审不合格", grounds="no_longer_meets")
    a = application(world.tid, application_id)
    assert a.status == "revoked"

    # Every step: who, from, to, with the comments.
    A, D, C = world.admin_id, world.district_reviewer_id, world.city_reviewer_id
    moves = [e for e in a.events if e.from_status != e.to_status]
    assert [e.step for e in a.events if e.from_status == e.to_status] == [
        "materials", "data_check", "on_site", "expert", "objection", "objection_resolved"]
    assert [(e.from_status, e.to_status, e.user_id) for e in moves] == [
        ("draft", "submitted", A), ("submitted", "district_review", D), ("district_review", "returned", D),
        ("returned", "submitted", A), ("submitted", "district_review", D), ("district_review", "recommended", D),
        ("recommended", "city_review", C), ("city_review", "public_notice", C), ("public_notice", "recognised", C),
        ("recognised", "revoked", C)]
    returned = moves[2]
    assert returned.comment == "请补充典型案例的处理结果"
    assert returned.section_comments == {"cases": "案例缺少处理结果", "next_steps": "目标需量化"}
    assert moves[5].comment == "同意推荐" and moves[9].comment == "复审不合格" and moves[9].step == "no_longer_meets"
    history = text(world.admin.get(url("park", application_id)))
    assert "甲区审核员" in history and "市审核员" in history and "复审不合格" in history

    # Every step told both tenant admins, in the app and by e-mail; nobody else.
    for user_id, email in ((world.admin_id, "admin@example.com"), (world.admin2_id, "admin2@example.com")):
        notes = notifications_of(user_id)
        assert len(notes) == 10, notes
        assert len(mails_to(email)) == 10
        assert all("Chongqing park standard" in n and str(Y) in n and "cq-park" not in n for n in notes)
    for user_id in (world.staff_id, world.neighbour_admin_id, world.district_reviewer_id, world.city_reviewer_id):
        assert notifications_of(user_id) == []
    assert mails_to("nadmin@example.com") == [] and mails_to("staff@example.com") == []


# --- 6. permissions -------------------------------------------------------------------------------

def test_reviewer_of_another_district_gets_404(world):
    members(world)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    submit(world.admin, application_id)
    for client in (world.otherrev, world.nadmin):
        assert client.get(url("park", application_id)).status_code == 404
        assert client.get(url("park", tail="/")).status_code == 404
        assert client.get(url("park", application_id, "/versions/1/pdf")).status_code == 404
        assert move(client, application_id, "district_review").status_code == 404
        assert client.post(url("park", application_id, "/scores"), data={"points-5": "5"}).status_code == 404
    assert application(world.tid, application_id).status == "submitted"
    # The district's own reviewer and its city's reviewer reach it.
    assert world.dist.get(url("park", application_id)).status_code == 200
    assert world.cityrev.get(url("park", application_id)).status_code == 200


def test_each_level_takes_only_its_own_steps(world):
    members(world)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    submit(world.admin, application_id)
    # Tenant admins and staff cannot move it at all.
    assert move(world.admin, application_id, "district_review").status_code == 403
    assert move(world.staff, application_id, "district_review").status_code == 403
    assert world.admin.post(url("park", application_id, "/scores"), data={"points-5": "5"}).status_code == 403
    # The city does not take the district's steps.
    refused = move(world.cityrev, application_id, "district_review")
    assert "This step is not open to you now." in said(world.cityrev, refused)
    assert application(world.tid, application_id).status == "submitted"
    move(world.dist, application_id, "district_review")
    move(world.dist, application_id, "recommended")
    # The district does not take the city's steps.
    for step in ("city_review", "public_notice", "recognised"):
        refused = move(world.dist, application_id, step)
        assert "This step is not open to you now." in said(world.dist, refused)
        assert application(world.tid, application_id).status == "recommended"
    assert 'name="action"' not in text(world.dist.get(url("park", application_id)))
    move(world.cityrev, application_id, "city_review")
    assert move(world.dist, application_id, "public_notice").status_code == 302
    assert application(world.tid, application_id).status == "city_review"
    # A step that is not next from here is refused even to the city.
    move(world.cityrev, application_id, "revoked", comment="提前撤销", grounds="false_material")
    a = application(world.tid, application_id)
    assert a.status == "city_review" and a.recognised_on is None
    assert [e.to_status for e in a.events] == ["submitted", "district_review", "recommended", "city_review"]


def test_district_reviewer_cannot_enter_city_review_scores(world):
    """Scoring is the city review's work: the district reviewer's scores are refused."""
    application_id = put_application(world.tid, "city_review")
    world.dist.post(url("park", application_id, "/scores"), data={"scorer": "区里代填", "points-5": "5"})
    assert application(world.tid, application_id).scores == []


def test_review_queue_lists_the_jurisdiction_only(world):
    park_id = put_application(world.tid, "submitted")
    draft_id = put_application(world.tid, "draft", year=Y + 1)
    neighbour_id = put_application(world.neighbour.id, "recommended")

    def listed(client) -> set[tuple[str, int]]:
        # The old queue's address leads to the workbench (tests/test_workbench.py); "all": every stage.
        response = client.get("/review/", query_string={"tab": "all"}, follow_redirects=True)
        assert response.status_code == 200
        return {(slug, int(i)) for slug, i in re.findall(r'href="/t/([\w-]+)/applications/(\d+)"', text(response))}

    assert listed(world.dist) == {("park", park_id)}
    assert listed(world.otherrev) == {("neighbour", neighbour_id)}
    assert listed(world.cityrev) == {("park", park_id), ("neighbour", neighbour_id)}
    assert ("park", draft_id) not in listed(world.cityrev)
    for client in (world.admin, world.staff, world.nadmin):
        assert client.get("/review/").status_code == 403


# --- 7. public notice and re-review dates --------------------------------------------------------

def test_public_notice_lasts_15_days_and_recognition_waits_for_its_end(world):
    today = date.today()
    # Boundaries of the 15 days: across the end of a leap February.
    fixed = put_application(world.tid, "city_review", year=2020)
    review_steps_done(world.tid, fixed, world.city_reviewer_id)
    move(world.cityrev, fixed, "public_notice", notice_start="2024-02-20")
    a = application(world.tid, fixed)
    assert (a.notice_start, a.notice_end) == (date(2024, 2, 20), date(2024, 3, 5))
    assert (a.notice_end - a.notice_start).days + 1 == 15

    # Without a start date the notice starts today and recognition is refused during it.
    running = put_application(world.tid, "city_review", year=2021)
    review_steps_done(world.tid, running, world.city_reviewer_id)
    move(world.cityrev, running, "public_notice")
    a = application(world.tid, running)
    assert (a.notice_start, a.notice_end) == (today, today + timedelta(days=14))
    refused = move(world.cityrev, running, "recognised", certificate_no="X-1")
    assert "The public notice runs until" in said(world.cityrev, refused)
    a = application(world.tid, running)
    assert (a.status, a.recognised_on, a.certificate_no) == ("public_notice", None, "")

    # Last day of the notice: still refused.
    last_day = put_application(world.tid, "city_review", year=2022)
    review_steps_done(world.tid, last_day, world.city_reviewer_id)
    move(world.cityrev, last_day, "public_notice", notice_start=(today - timedelta(days=14)).isoformat())
    assert application(world.tid, last_day).notice_end == today
    move(world.cityrev, last_day, "recognised", certificate_no="X-2")
    assert application(world.tid, last_day).status == "public_notice"

    # The day after: allowed.
    ended = put_application(world.tid, "city_review", year=2023)
    review_steps_done(world.tid, ended, world.city_reviewer_id)
    move(world.cityrev, ended, "public_notice", notice_start=(today - timedelta(days=15)).isoformat())
    assert application(world.tid, ended).notice_end == today - timedelta(days=1)
    move(world.cityrev, ended, "recognised", certificate_no="X-3")
    a = application(world.tid, ended)
    assert (a.status, a.certificate_no, a.recognised_on) == ("recognised", "X-3", today)


def test_recognition_date_cannot_precede_the_end_of_the_notice(world):
    """A recognition dated inside the public notice would recognise before objections closed."""
    application_id = put_application(world.tid, "public_notice", notice_start=date(2025, 3, 1),
                                     notice_end=date(2025, 3, 15))
    move(world.cityrev, application_id, "recognised", certificate_no="X-9", recognised_on="2025-03-10")
    a = application(world.tid, application_id)
    assert (a.status, a.recognised_on) == ("public_notice", None)


@pytest.mark.parametrize("recognised_on, due", [
    (date(2024, 2, 29), date(2026, 2, 28)),   # a leap day's term ends with February two years later
    (date(2025, 3, 10), date(2027, 3, 9)),
    (date(2023, 12, 31), date(2025, 12, 30)),
])
def test_rereview_is_due_two_years_after_recognition(world, recognised_on, due):
    application_id = put_application(world.tid, "public_notice", notice_start=recognised_on - timedelta(days=30),
                                     notice_end=recognised_on - timedelta(days=16))
    move(world.cityrev, application_id, "recognised", certificate_no="渝-1", recognised_on=recognised_on.isoformat())
    a = application(world.tid, application_id)
    assert (a.status, a.recognised_on, a.rereview_due) == ("recognised", recognised_on, due)
    assert rereview_expected(recognised_on) == due
    with reading(world.tid) as s:
        row = s.get(Application, application_id)
        assert (row.valid_until, row.issued_by) == (due, "测试市市场监督管理局"), "the last valid day; the city bureau"


def test_final_score_respects_the_group_caps(world):
    """CQ-2: the platform group's items add up to 40 but the group is worth 25; full marks from
    every expert make 100, not 115."""
    application_id = put_application(world.tid, "city_review")
    full = {"points-1": "10", "points-2": "10", "points-3": "10", "points-4": "10", "points-5": "5", "points-6": "5",
            "points-7": "5", "points-8": "5", "points-9": "5", "points-10": "5", "points-11": "5", "points-12": "5",
            "points-13": "5", "points-14": "5", "points-15": "10", "points-16": "10", "points-17": "5"}
    world.cityrev.post(url("park", application_id, "/scores"), data={"scorer": "张专家", **full})
    assert len(application(world.tid, application_id).scores) == 17
    review_steps_done(world.tid, application_id, world.city_reviewer_id)
    move(world.cityrev, application_id, "public_notice", notice_start="2025-01-01")
    move(world.cityrev, application_id, "recognised", certificate_no="渝-2")
    a = application(world.tid, application_id)
    assert a.status == "recognised"
    assert a.final_score == 100
