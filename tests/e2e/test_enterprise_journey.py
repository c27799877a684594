"""An enterprise user's day in a real browser (zh_CN): update the checklist, log internal
training, acknowledge a guidance visit, and meet the not-found page on another enterprise."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import tenant_scope

from .conftest import DESKTOP, check_page, sign_in

pytestmark = pytest.mark.browser


def test_enterprise_user_journey(live_server, browser, make):
    tenant = make.tenant(slug="journey", name="旅程园区")
    mine = make.enterprise(tenant, name="我的企业有限公司", employees=3)
    other = make.enterprise(tenant, name="别家企业有限公司")
    instructor = make.user("ins@example.com", name="赵指导", tenant=tenant, role="instructor")
    user = make.user("ent@example.com", name="联络员甲")
    grant(user, tenant, "enterprise", mine)
    from tenants.visits.models import GuidanceVisit, VisitInstructor

    with tenant_scope(tenant.id):
        visit = GuidanceVisit(enterprise_id=mine, visited_on=date.today(), topics=["rules"], findings="台账不全",
                              recommendations="补齐台账", created_by_id=instructor.id)
        db.session.add(visit)
        db.session.flush()
        db.session.add(VisitInstructor(visit_id=visit.id, user_id=instructor.id))
        db.session.commit()
        visit_id = visit.id

    page = browser.new_page(locale="zh-CN", **DESKTOP)
    errors = sign_in(page, live_server, "ent@example.com")
    page.wait_for_url(f"{live_server}/t/journey/")
    check_page(page, "enterprise", "home")
    # Its home is a to-do list: the visit to acknowledge, the checklist, the year's figures.
    todo = page.locator("#todo [data-todo]")
    assert {todo.nth(i).get_attribute("data-todo") for i in range(todo.count())} >= {"acknowledge", "checklist", "figures"}

    # Checklist: put "organisation" in place.
    page.click("text=本企业：基本信息、检查清单、调查数据、印证材料")
    page.wait_for_url(f"{live_server}/t/journey/members/{mine}")
    check_page(page, "enterprise", "member")
    page.click("a[href$='/checklist']")
    page.wait_for_url("**/checklist")
    check_page(page, "enterprise", "checklist")
    page.select_option("select[name='state-five.organisation']", "in_place")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/t/journey/members/{mine}")
    assert "检查清单已保存" in page.content()

    # Internal training for all three employees.
    page.goto(f"{live_server}/t/journey/training/new")
    check_page(page, "enterprise", "training-form")
    page.fill("input[name=title]", "全员保密培训")
    page.fill(f"input[name=hc-{mine}]", "3")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=培训活动已保存")
    page.goto(f"{live_server}/t/journey/training/mine")
    assert "已完成全员培训" in page.content()
    check_page(page, "enterprise", "training-mine")

    # Acknowledge the visit.
    page.goto(f"{live_server}/t/journey/visits/{visit_id}")
    check_page(page, "enterprise", "visit")
    page.click("text=确认本次走访")
    page.wait_for_selector("text=已确认走访")
    assert "联络员甲" in page.inner_text("#acknowledged")
    page.goto(f"{live_server}/t/journey/")
    assert page.locator("#todo [data-todo=acknowledge]").count() == 0  # ticked from the data

    # Another enterprise of the same park: the friendly not-found page.
    response = page.goto(f"{live_server}/t/journey/members/{other}")
    assert response.status == 404
    assert "页面不存在" in page.content()
    check_page(page, "enterprise", "not-found")
    assert errors == []

    with tenant_scope(tenant.id):
        from tenants.members.models import ChecklistItem
        from tenants.training.models import TrainingEvent

        db.session.expire_all()
        assert db.session.scalar(sa.select(ChecklistItem.state).where(
            ChecklistItem.enterprise_id == mine, ChecklistItem.code == "five.organisation")) == "in_place"
        event = db.session.scalar(sa.select(TrainingEvent))
        assert (event.organiser, event.organiser_enterprise_id) == ("enterprise", mine)
        assert db.session.get(GuidanceVisit, visit_id).acknowledged_by_id == user.id
