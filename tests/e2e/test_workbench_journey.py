"""The workbench in a real browser, in Chinese and in English, on a laptop (1366×900) and a phone
(390×844): a district and a city reviewer sign in and land on what waits for them, read the tabs
and their counts, filter by stage, open an item; after a decision the badge of the top bar
follows. The phone shows one card per item and nothing wider than the screen."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.applications.models import Application, Objection
from tenants.applications.services import move

from ..test_workbench import put_application, put_unit
from .conftest import check_page, sign_in

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
WORDS = {"zh_CN": {"notice": "公示", "scheme": "重庆市园区商业秘密保护示范基地创建标准"},
         "en": {"notice": "Public notice", "scheme": "Chongqing park standard"}}


def _world(make, locale):
    city = make.bureau("旅程市市场监督管理局", level="city")
    district = make.bureau("旅程甲区市场监督管理局", level="district", parent=city)
    other = make.bureau("旅程乙区市场监督管理局", level="district", parent=city)
    park = make.tenant(slug="park", name="甲区旅程园区", bureau=district)
    neighbour = make.tenant(slug="neighbour", name="乙区旅程园区", bureau=other)
    for email, name, bureau in (("district@example.com", "甲区审核员", district), ("city@example.com", "市审核员", city)):
        make.user(email, name=name, bureau=bureau, bureau_role="reviewer").locale = locale
    db.session.commit()
    submitted = put_application(park.id, "submitted")
    put_application(neighbour.id, "recommended")
    notice = put_application(neighbour.id, "public_notice", year=2024, notice_start=date.today() - timedelta(days=4),
                             notice_end=date.today() + timedelta(days=10))
    with tenant_scope(neighbour.id):
        db.session.add(Objection(application_id=notice, received_on=date.today() - timedelta(days=1), text="有异议"))
        db.session.commit()
    put_unit(make, park, name="旅程示范企业")
    return park, submitted


def _pending(page) -> int:
    """The count of the top bar, read where it is in sight: in the menu, or beside it on a phone."""
    badge = page.locator(".pending-badge").locator("visible=true")
    return int(badge.first.get_attribute("data-pending")) if badge.count() else 0


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_workbench_journey(live_server, browser, make, locale, tmp_path):
    words = WORDS[locale]
    park, submitted = _world(make, locale)
    shots = []
    for size, viewport in SIZES.items():
        for email, todo in (("district@example.com", 2), ("city@example.com", 4)):
            page = browser.new_context(viewport=viewport, locale="zh-CN" if locale == "zh_CN" else "en").new_page()
            errors = sign_in(page, live_server, email, tap=False)
            page.wait_for_url(f"{live_server}/workbench/")  # where a reviewer lands
            assert page.locator("[data-count=todo]").inner_text() == str(todo)
            if size == "laptop":
                assert _pending(page) == todo
                rows = page.locator("#workbench-table tbody tr")
                assert rows.count() == todo and page.locator("#workbench-cards").is_hidden()
            else:
                assert _pending(page) == todo, "the count stays in sight beside the folded menu"
                cards = page.locator("#workbench-cards a")
                assert cards.count() == todo and page.locator("#workbench-table").is_hidden()
                # Nothing wider than the phone.
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            main = page.inner_text("main")
            assert words["scheme"] in main and "cq-park" not in main
            check_page(page, f"workbench-{locale}", email.split("@")[0], both=False)  # both sizes run here
            path = tmp_path / f"{locale}-{size}-{email.split('@')[0]}.png"
            page.screenshot(path=str(path), full_page=True)
            shots.append(path)
            if email == "city@example.com":
                page.select_option("#f-stage", "public_notice")
                with page.expect_navigation():
                    page.click("#workbench-filters button[type=submit]")
                assert words["notice"] in page.inner_text("main")
                assert page.locator("[data-count=todo]").inner_text() == "2"  # the notice and its objection
                page.screenshot(path=str(tmp_path / f"{locale}-{size}-city-filtered.png"), full_page=True)
                check_page(page, f"workbench-{locale}", "city-filtered", both=False)
            # An item opens its own page.
            first = page.locator("#workbench-table a, #workbench-cards a").locator("visible=true").first
            with page.expect_navigation():
                first.click()
            assert "/t/" in page.url
            check_page(page, f"workbench-{locale}", f"{email.split('@')[0]}-item", both=False)
            assert errors == []
            page.context.close()

    # The district recommends the application: it leaves the district's badge for the city's.
    with tenant_scope(park.id):
        application = db.session.get(Application, submitted)
        for step in ("district_review", "recommended"):
            move(application, step, User.by_email("district@example.com"), db.session.get(Tenant, park.id))
        db.session.commit()
    for email, pending in (("district@example.com", 1), ("city@example.com", 5)):
        page = browser.new_context(viewport=SIZES["laptop"]).new_page()
        sign_in(page, live_server, email)
        assert _pending(page) == pending
        page.context.close()
    print("screenshots:", *shots)
