"""Bureau reviewers in a real browser, in Chinese and in English: the district reviewer finds
the base from the jurisdiction page, takes the application into review, is told to give reasons
before returning it, returns it with a comment; after the park resubmits, recommends it. The city
reviewer enters expert scores (a typo rolls the whole post back) and opens the public notice."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.applications.models import Application, ApplicationEvent, ReviewScore

from ..test_applications import TEXTS, Y
from .conftest import sign_in

pytestmark = pytest.mark.browser

WORDS = {
    "zh_CN": {"done": "已完成。", "reasons": "请填写理由。", "returned": "退回修改", "recommended": "已推荐",
              "save_scores": "保存评分", "not_numbers": "分数须为数字。", "saved": "评分已保存。",
              "objection": "记录异议"},
    "en": {"done": "Done.", "reasons": "Give the reasons.", "returned": "Returned for revision",
           "recommended": "Recommended", "save_scores": "Save scores", "not_numbers": "Points are numbers.",
           "saved": "Scores saved.", "objection": "Record an objection"},
}


def _submitted_application(make, login_as, locale) -> tuple[int, int, object]:
    city = make.bureau("测试市市场监督管理局", level="city")
    district = make.bureau("测试甲区市场监督管理局", level="district", parent=city)
    tenant = make.tenant(slug="review", name="旅程示范园区", bureau=district)
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    for email, name, bureau in (("district@example.com", "甲区审核员", district), ("city@example.com", "市审核员", city)):
        make.user(email, name=name, bureau=bureau, bureau_role="reviewer").locale = locale
    db.session.commit()
    for i in range(5):
        make.enterprise(tenant, name=f"示范企业{i + 1}", status="demonstration")
    admin = login_as("admin@example.com")
    started = admin.post("/t/review/applications/start", data={"scheme": "cq-park", "year": str(Y)})
    application_id = int(re.search(r"/applications/(\d+)$", started.headers["Location"]).group(1))
    admin.post(f"/t/review/applications/{application_id}/sections", data=TEXTS)
    assert admin.post(f"/t/review/applications/{application_id}/submit").status_code == 302
    return tenant.id, application_id, admin


def _sign_in(browser, live_server, email):
    page = browser.new_context().new_page()
    return page, sign_in(page, live_server, email)


def _save_scores(page, words, item_7: str) -> None:
    page.fill("input[name=scorer]", "张专家")
    page.fill("input[name=points-5]", "5")
    page.fill("input[name=points-7]", item_7)
    with page.expect_navigation():
        page.click(f"text={words['save_scores']}")


def _move(page, to, comment=""):
    page.select_option("select[name=to]", to)
    page.fill("textarea[name=comment]", comment)
    with page.expect_navigation():
        page.click("form[action$='/move'] button[type=submit]")


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_reviewer_journey(live_server, browser, make, login_as, locale):
    words = WORDS[locale]
    tenant_id, application_id, admin = _submitted_application(make, login_as, locale)
    show = f"{live_server}/t/review/applications/{application_id}"

    district, district_errors = _sign_in(browser, live_server, "district@example.com")
    district.goto(f"{live_server}/bureau/")
    district.click("text=旅程示范园区")
    district.wait_for_url(f"{live_server}/t/review/")
    district.goto(show)
    _move(district, "district_review")
    assert words["done"] in district.content()
    _move(district, "returned", comment="   ")
    assert words["reasons"] in district.content()
    _move(district, "returned", comment="请补充典型案例的处理结果")
    assert words["returned"] in district.inner_text("main")

    # The park revises and resubmits (version 2); the district recommends it.
    admin.post(f"/t/review/applications/{application_id}/sections", data={**TEXTS, "cases": "追回图纸，依法处理。"})
    assert admin.post(f"/t/review/applications/{application_id}/submit").status_code == 302
    district.goto(show)
    _move(district, "district_review")
    _move(district, "recommended", comment="同意推荐")
    assert words["recommended"] in district.inner_text("main")
    assert district.locator("select[name=to]").count() == 0, "the city's steps are not the district's"

    city, city_errors = _sign_in(browser, live_server, "city@example.com")
    city.goto(show)
    _move(city, "city_review")
    _save_scores(city, words, item_7="四")
    assert words["not_numbers"] in city.content()
    _save_scores(city, words, item_7="4")
    assert words["saved"] in city.content()
    city.select_option("select[name=to]", "public_notice")
    city.fill("input[name=notice_start]", date.today().isoformat())
    _move(city, "public_notice")
    assert words["objection"] in city.inner_text("main"), "objections can be recorded during the notice"
    assert district_errors == [] and city_errors == []

    with tenant_scope(tenant_id):
        db.session.expire_all()
        application = db.session.get(Application, application_id)
        assert (application.status, application.version) == ("public_notice", 2)
        assert application.notice_start == date.today()
        assert db.session.scalar(sa.select(ApplicationEvent.comment).where(
            ApplicationEvent.application_id == application_id, ApplicationEvent.to_status == "returned")) \
            == "请补充典型案例的处理结果"
        assert db.session.execute(sa.select(ReviewScore.scorer, ReviewScore.item, ReviewScore.points)
                                  .order_by(ReviewScore.item)).all() == [("张专家", "5", 5.0), ("张专家", "7", 4.0)]
