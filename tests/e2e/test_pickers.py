"""The searchable enterprise picker in a browser (issue 22, a 400-member association): typing
asks the tenant's member search, the keyboard picks (arrows, Enter, Esc) and the form saves the
enterprise picked — a service ledger entry, and a big tenant's training attendance."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.members.models import Enterprise
from tenants.stations.models import ServiceLog, Station
from tenants.training.models import Attendance, TrainingEvent

from ..factories import credit_code_for
from .conftest import DESKTOP, check_page, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def big(make):
    tenant = make.tenant(slug="big", name="大协会")
    make.user("staff@example.com", name="站员", tenant=tenant, role="admin")
    with tenant_scope(tenant.id):
        db.session.add_all([Enterprise(name=f"会员企业{i:05d}", credit_code=credit_code_for(1000 + i), employees=50,
                                       joined_on=date(2024, 1, 1), status="liaison") for i in range(400)]
                           + [Station(name="协会指导站")])
        db.session.commit()
        ids = dict(db.session.execute(sa.select(Enterprise.name, Enterprise.id)).all())
    return tenant, ids


def test_pick_an_enterprise_with_the_keyboard_and_save_a_ledger_entry(live_server, browser, big):
    tenant, ids = big
    page = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
    errors = sign_in(page, live_server, "staff@example.com")
    page.goto(f"{live_server}/t/big/stations/log/new")
    select = page.locator("select#enterprise_id")
    assert select.is_hidden()  # the plain select stays in the form, behind the combobox
    box = page.locator("#enterprise_id-search")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    assert page.locator('label[for="enterprise_id-search"]').count() == 1  # the field's label names it

    box.press_sequentially("会员企业0004", delay=30)
    listbox = page.locator(".picker-list")
    listbox.wait_for()
    options = listbox.locator("[role=option]")
    assert options.count() == 10 and options.first.inner_text().startswith("会员企业00040")
    assert box.get_attribute("aria-expanded") == "true"
    check_page(page, "pickers", "ledger-open", both=False)  # axe with the list open
    # Esc closes the list; the arrow key opens it again; down once more and Enter picks.
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    box.press("ArrowDown")
    listbox.wait_for()
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    box.press("Enter")
    assert page.url.endswith("/stations/log/new")  # Enter picked, it did not send the form
    assert box.input_value() == "会员企业00041"
    assert select.input_value() == str(ids["会员企业00041"])
    assert listbox.is_hidden()

    page.fill("textarea[name=summary]", "咨询保密协议")
    with page.expect_navigation():
        page.locator("main button[type=submit]").first.click()
    assert page.url.endswith("/t/big/stations/log/")
    with tenant_scope(tenant.id):
        entry = db.session.scalars(sa.select(ServiceLog)).one()
        assert (entry.enterprise_id, entry.summary) == (ids["会员企业00041"], "咨询保密协议")
    assert errors == []


def test_add_training_attendance_with_the_picker(live_server, browser, big):
    tenant, ids = big
    page = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
    errors = sign_in(page, live_server, "staff@example.com")
    page.goto(f"{live_server}/t/big/training/new")
    assert page.locator("input[name^=hc-]").count() == 0  # no row per member at 400 members
    page.fill("input[name=title]", "协会保密培训")
    box = page.locator("#add-who")
    assert box.get_attribute("role") == "combobox"
    box.press_sequentially(credit_code_for(1123)[:17], delay=20)  # by credit code
    options = page.locator(".picker-list [role=option]")
    options.first.wait_for()
    assert options.count() == 1
    box.press("Enter")
    assert box.input_value() == "会员企业00123"
    page.fill("#add-headcount", "6")
    page.fill("#bulk", "会员企业00007\t3\n会员企业00008, 2")
    with page.expect_navigation():
        page.locator("main button[type=submit]").first.click()
    with tenant_scope(tenant.id):
        event = db.session.scalars(sa.select(TrainingEvent)).one()
        got = {a.enterprise_id: a.headcount for a in db.session.scalars(
            sa.select(Attendance).where(Attendance.event_id == event.id))}
    assert got == {ids["会员企业00123"]: 6, ids["会员企业00007"]: 3, ids["会员企业00008"]: 2}
    assert errors == []


def test_filter_an_instructors_long_list_of_members(live_server, browser, big, make):
    tenant, ids = big
    instructor = make.user("ins@example.com", name="赵指导", tenant=tenant, role="instructor")
    page = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
    errors = sign_in(page, live_server, "staff@example.com")
    page.goto(f"{live_server}/t/big/visits/instructors/{instructor.id}/enterprises")
    boxes = page.locator("#enterprise-boxes input[type=checkbox]:visible")
    assert boxes.count() == 400
    page.fill("#enterprise-filter", "会员企业0012")
    assert boxes.count() == 10
    page.check(f"#e{ids['会员企业00123']}")
    page.fill("#enterprise-filter", "")
    assert boxes.count() == 400
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    from tenants.visits.services import assigned_enterprises

    with tenant_scope(tenant.id):
        assert list(assigned_enterprises(instructor.id)) == [ids["会员企业00123"]]
    assert errors == []
