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
from .conftest import DESKTOP, check_page, sign_in

pytestmark = pytest.mark.browser

WORDS = {
    "zh_CN": {"done": "已完成。", "reasons": "请填写理由。", "returned": "退回修改", "recommended": "已推荐",
              "save_scores": "保存评分", "not_numbers": "分数须为 0 至 5 之间的数字。", "saved": "评分已保存。",
              "objection": "记录异议"},
    "en": {"done": "Done.", "reasons": "Give the reasons.", "returned": "Returned for revision",
           "recommended": "Recommended", "save_scores": "Save scores",
           "not_numbers": "the points are a number from 0 to 5.",
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
    assert admin.post(f"/t/review/applications/{application_id}/submit",
                      data={"confirmed": "yes", "acknowledge": "yes"}).status_code == 302
    return tenant.id, application_id, admin


def _sign_in(browser, live_server, email):
    page = browser.new_context(**DESKTOP).new_page()
    return page, sign_in(page, live_server, email)


def _save_scores(page, words, item_7: str) -> None:
    """The city reviewer's own sheet: every item (0 where nothing is due), item 7 as typed."""
    for n in range(1, 18):
        page.fill(f"input[form=scoring-own][name=points-{n}]", {5: "5", 7: item_7}.get(n, "0"))
    with page.expect_navigation():
        page.click(f"form#scoring-own >> text={words['save_scores']}")


ACTION = {"district_review": "accept", "city_review": "accept", "recommended": "approve", "public_notice": "approve",
          "returned": "return", "materials": "materials", "data_check": "data_check", "on_site": "on_site"}


def _move(page, to, comment="", **fields):
    """The button that leads to `to`, pressed, then confirmed on the page that says what it
    does (the opinion and `fields` filled there)."""
    with page.expect_navigation():
        page.click(f"button[name=action][value={ACTION[to]}]")
    page.fill("#confirm-decision textarea[name=opinion]", comment)
    for name, value in fields.items():
        page.fill(f"#confirm-decision [name={name}]", value)
    with page.expect_navigation():
        page.click("#confirm")


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_reviewer_journey(live_server, browser, make, login_as, locale):
    words, journey = WORDS[locale], f"reviewer-{locale}"
    tenant_id, application_id, admin = _submitted_application(make, login_as, locale)
    show = f"{live_server}/t/review/applications/{application_id}"

    district, district_errors = _sign_in(browser, live_server, "district@example.com")
    assert district.url == f"{live_server}/workbench/"  # a reviewer lands on the workbench
    district.goto(f"{live_server}/bureau/")
    check_page(district, journey, "bureau")
    district.click("text=旅程示范园区")
    district.wait_for_url(f"{live_server}/t/review/")
    check_page(district, journey, "park")
    district.goto(show)
    check_page(district, journey, "application-submitted")
    _move(district, "district_review")
    assert district.get_attribute("#status", "data-status") == "district_review"
    _move(district, "returned", comment="   ")
    assert words["reasons"] in district.content()
    check_page(district, journey, "confirm-return", both=False)
    # Told on the same confirmation page, which keeps what was pressed: the reasons, then confirm.
    district.fill("#confirm-decision textarea[name=opinion]", "请补充典型案例的处理结果")
    with district.expect_navigation():
        district.click("#confirm")
    assert words["returned"] in district.inner_text("main")
    check_page(district, journey, "application-returned")

    # The park revises and resubmits (version 2); the district recommends it.
    admin.post(f"/t/review/applications/{application_id}/sections", data={**TEXTS, "cases": "追回图纸，依法处理。"})
    assert admin.post(f"/t/review/applications/{application_id}/submit",
                      data={"confirmed": "yes", "acknowledge": "yes"}).status_code == 302
    district.goto(show)
    _move(district, "district_review")
    _move(district, "recommended", comment="同意推荐")
    assert words["recommended"] in district.inner_text("main")
    assert district.locator("button[name=action]").count() == 0, "the city's steps are not the district's"

    city, city_errors = _sign_in(browser, live_server, "city@example.com")
    city.goto(show)
    _move(city, "city_review")
    _save_scores(city, words, item_7="四")
    assert words["not_numbers"] in city.content()
    check_page(city, journey, "scores-error", both=False)
    _save_scores(city, words, item_7="4")
    assert words["saved"] in city.content()
    for step in ("materials", "data_check", "on_site"):  # the city review's recorded steps (CQ-3)
        _move(city, step, comment="核查无误")
    city.check("#verdict-pass")
    city.fill("#verdict-reason", "专家组同意通过")
    with city.expect_navigation():
        city.click("form[action$='/panel-verdict'] button[type=submit]")
    _move(city, "public_notice", notice_start=date.today().isoformat())
    assert words["objection"] in city.inner_text("main"), "objections can be recorded during the notice"
    check_page(city, journey, "application-notice")
    assert district_errors == [] and city_errors == []

    with tenant_scope(tenant_id):
        db.session.expire_all()
        application = db.session.get(Application, application_id)
        assert (application.status, application.version) == ("public_notice", 2)
        assert application.notice_start == date.today()
        assert db.session.scalar(sa.select(ApplicationEvent.comment).where(
            ApplicationEvent.application_id == application_id, ApplicationEvent.to_status == "returned")) \
            == "请补充典型案例的处理结果"
        assert sorted(db.session.execute(sa.select(ReviewScore.scorer, ReviewScore.item, ReviewScore.points)
                                         .where(ReviewScore.points > 0)).all()) == \
            [("city@example.com", "5", 5.0), ("city@example.com", "7", 4.0)]
