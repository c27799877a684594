"""A park administrator's year in a real browser (zh_CN): download the import template, import
the roster (one bad row rejects the file and writes nothing), fix the row and import again, change
a liaison person, record four demonstration units recognised before the platform and take a fifth
enterprise from liaison to recognised unit (its application, the park's pre-review, a district
reviewer's recognition in a browser of their own), log a training and read the coverage and the
readiness score move, then write the application, generate and download the dossier (a real
worker, real wkhtmltopdf), submit it and print the submitted version."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.applications.models import Application, ApplicationVersion
from tenants.members.models import Enterprise

from ..test_applications import TEXTS, Y, run_worker
from ..test_member_import import fill_template, row
from .conftest import DESKTOP, check_page, sign_in

pytestmark = pytest.mark.browser


def _upload(page, path):
    page.set_input_files("input[name=file]", str(path))
    with page.expect_navigation():
        page.click("main form [type=submit]")


def _dossier(page, button) -> bytes:
    """Start a PDF job, run the worker, download the file from the job page."""
    with page.expect_navigation():
        page.click(button)
    assert "/jobs/" in page.url
    run_worker()
    # The job page polls its status and reloads itself when the job is done.
    page.wait_for_selector("main a[href$='/download']", timeout=30_000)
    with page.expect_download() as download:
        page.click("main a[href$='/download']")
    return download.value.path().read_bytes()


def test_park_admin_journey(live_server, browser, make, tmp_path):
    city = make.bureau("测试市市场监督管理局", level="city")
    district = make.bureau("测试甲区市场监督管理局", level="district", parent=city)
    tenant = make.tenant(slug="year", name="全年园区", bureau=district)
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")

    page = browser.new_context(locale="zh-CN", accept_downloads=True, **DESKTOP).new_page()
    errors = sign_in(page, live_server, "admin@example.com")

    year = date.today().year
    # A new base lands on its dashboard with the first-run checklist, nothing ticked yet.
    page.wait_for_url(f"{live_server}/t/year/")
    assert page.locator("#first-run [data-done=no]").count() == 4
    readiness = f"{live_server}/t/year/readiness/?scheme=cq-park&year={year}"
    page.goto(readiness)
    check_page(page, "admin", "readiness-empty")
    empty_score = float(page.inner_text("#score").split("/")[0])

    # The template, as the browser downloads it.
    page.goto(f"{live_server}/t/year/members/import")
    check_page(page, "admin", "import")
    with page.expect_download() as download:
        page.click("text=下载导入模板")
    template = download.value.path().read_bytes()
    rows = [row(n, status="联系企业") for n in range(1, 7)]
    bad = [dict(r) for r in rows]
    bad[3]["credit_code"] = "12345"
    (tmp_path / "名录-有误.xlsx").write_bytes(fill_template(template, bad))
    (tmp_path / "名录.xlsx").write_bytes(fill_template(template, rows))

    # A bad row: the whole file is refused, the row and column are named, nothing is written.
    _upload(page, tmp_path / "名录-有误.xlsx")
    table = page.inner_text("main table")
    check_page(page, "admin", "import-errors", both=False)
    # Sheet row 8: two note rows, the Chinese and English headers, then the 4th entry.
    assert table.splitlines()[1:] == ["8\t统一社会信用代码\t统一社会信用代码应为 18 位。"], table
    with tenant_scope(tenant.id):
        assert db.session.scalar(sa.select(sa.func.count(Enterprise.id))) == 0

    # Fixed: all six in, as liaison enterprises (a sheet cannot make a demonstration unit).
    _upload(page, tmp_path / "名录.xlsx")
    page.wait_for_url(f"{live_server}/t/year/members/")
    assert "导入完成" in page.content()
    assert page.locator("main table tbody tr").count() == 6
    check_page(page, "admin", "members")

    # A new liaison person for one of them.
    with tenant_scope(tenant.id):
        ids = db.session.scalars(sa.select(Enterprise.id).order_by(Enterprise.name)).all()
    page.goto(f"{live_server}/t/year/members/{ids[0]}/liaison")
    check_page(page, "admin", "liaison")
    page.fill("input[name=name]", "钱新任")
    page.fill("input[name=mobile]", "13900000000")
    with page.expect_navigation():
        page.click("text=保存联络员")
    assert "联络员已保存。" in page.content() and "钱新任" in page.inner_text("main")

    # A training for three members; coverage shows three of six trained.
    page.goto(f"{live_server}/t/year/training/new")
    check_page(page, "admin", "training-form")
    page.fill("input[name=title]", "商业秘密保护专题培训")
    for enterprise_id in ids[:3]:
        page.fill(f"input[name=hc-{enterprise_id}]", "60")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "培训活动已保存" in page.content()
    page.goto(f"{live_server}/t/year/training/coverage?year={year}")
    assert page.inner_text("[data-figure=active]") == "6"
    assert page.inner_text("[data-figure=trained]") == "3"
    assert page.inner_text("[data-figure=ratio]") == "50.0%"
    check_page(page, "admin", "coverage")
    page.goto(readiness)
    before_units = float(page.inner_text("#score").split("/")[0])

    # Four units recognised before the platform, recorded from their certificates.
    for n, enterprise_id in enumerate(ids[1:5], start=1):
        page.goto(f"{live_server}/t/year/units/record")
        if n == 1:
            check_page(page, "admin", "unit-record")
        page.select_option("select[name=unit]", f"enterprise:{enterprise_id}")
        page.fill("input[name=certificate_no]", f"测示〔{year - 1}〕{n:02d}号")
        page.fill("input[name=issued_by]", "测试市市场监督管理局")
        page.fill("input[name=recognised_on]", f"{year - 1}-11-20")
        with page.expect_navigation():
            page.click("main form [type=submit]")
        assert "平台使用前认定" in page.inner_text("main")
    # The fifth: from liaison enterprise to recognised unit on the platform.
    page.goto(f"{live_server}/t/year/units/")
    check_page(page, "admin", "units")
    page.select_option("form[action$='/units/apply'] select[name=unit]", f"enterprise:{ids[0]}")
    page.select_option("form[action$='/units/apply'] select[name=scheme]", "cq-enterprise")
    with page.expect_navigation():
        page.click("form[action$='/units/apply'] button[type=submit]")
    unit_url = page.url
    assert "/units/applications/" in unit_url and "草稿" in page.inner_text("main")
    check_page(page, "admin", "unit-application")
    with page.expect_navigation():
        page.click("form[action$='/submit'] button[type=submit]")
    assert "待园区初审" in page.inner_text("main")
    page.fill("#prereview-note", "材料齐全，同意推荐")
    with page.expect_navigation():
        page.click("button[value=recommend]")
    assert "已推荐，待市场监管部门认定" in page.inner_text("main")
    make.user("reviewer@example.com", name="区局审核员", bureau=district, bureau_role="reviewer")
    reviewer = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
    errors += sign_in(reviewer, live_server, "reviewer@example.com")
    reviewer.goto(unit_url)
    check_page(reviewer, "admin", "unit-recognition")
    reviewer.fill("input[name=certificate_no]", f"测示〔{year}〕06号")
    reviewer.fill("input[name=issued_by]", "测试甲区市场监督管理局")
    reviewer.fill("input[name=recognised_on]", date.today().isoformat())
    with reviewer.expect_navigation():
        reviewer.click("button[value=recognise]")
    assert "已认定" in reviewer.inner_text("main")
    page.goto(f"{live_server}/t/year/units/")
    assert f"{date.today():%Y}" in page.inner_text("main") and page.locator("main table tbody tr").count() == 5
    page.goto(readiness)
    assert float(page.inner_text("#score").split("/")[0]) >= before_units + 10, "item 15: five demonstration units"
    assert float(page.inner_text("#score").split("/")[0]) >= empty_score + 15, "5 demonstration units, liaisons"

    # The application: start, write, submit, print version 1.
    page.goto(f"{live_server}/t/year/applications/")
    check_page(page, "admin", "applications")
    page.select_option("select[name=scheme]", "cq-park")
    page.fill("input[name=year]", str(Y))
    with page.expect_navigation():
        page.click("text=开始申报")
    for code, value in TEXTS.items():
        page.fill(f"textarea[name={code}]", value)
    with page.expect_navigation():
        page.click("form[action$='/sections'] button[type=submit]")
    application_url = page.url
    check_page(page, "admin", "application")
    preview = _dossier(page, "text=生成申报材料（PDF）")
    assert preview[:5] == b"%PDF-"
    page.goto(application_url)
    with page.expect_navigation():
        page.click("form[action$='/submit'] button[type=submit]")
    # The confirmation lists what is empty or not met; those are acknowledged to submit.
    check_page(page, "admin", "confirm-submit", both=False)
    if page.locator("#acknowledge").count():
        page.check("#acknowledge")
    with page.expect_navigation():
        page.click("#confirm-submit button[type=submit]")
    check_page(page, "admin", "submitted")
    pdf = _dossier(page, "text=生成 PDF")
    check_page(page, "admin", "job")
    assert pdf[:5] == b"%PDF-"
    assert errors == []

    with tenant_scope(tenant.id):
        db.session.expire_all()
        application = db.session.scalar(sa.select(Application))
        assert (application.status, application.version, application.year) == ("submitted", 1, Y)
        assert application.sections["cases"] == TEXTS["cases"]
        digest = db.session.scalar(sa.select(ApplicationVersion.pdf_sha256)
                                   .where(ApplicationVersion.application_id == application.id))
    assert digest == hashlib.sha256(pdf).hexdigest(), "the file downloaded is the version's recorded file"
