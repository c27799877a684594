"""The UI shell in a real browser: sign in through CSRF-protected forms, Bootstrap's script
working under our CSP (no violations), the language switcher, the phone layout."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_sign_in_switch_language_and_phone_layout(live_server, browser, make):
    tenant = make.tenant(slug="browser-park", name="浏览器测试园区")
    make.user("admin@example.com", name="王管理", tenant=tenant, role="admin")
    make.user("other@example.com", tenant=make.tenant(slug="second"), role="staff")
    from saas.auth.services import grant
    from saas.auth.models import User
    from saas.extensions import db

    grant(User.by_email("admin@example.com"), db.session.merge(make.tenant(slug="third")), "staff")
    db.session.commit()

    page = browser.new_page(locale="zh-CN")
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(f"{live_server}/login")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=email]", "admin@example.com")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("main input[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").inner_text() == "我的工作"  # two bases: a page of the work waiting in each
    page.click("text=浏览器测试园区")
    page.wait_for_url(f"{live_server}/t/browser-park/")

    # The language menu is a Bootstrap dropdown: it opens only if Bootstrap's JS runs under CSP.
    page.click("nav .dropdown-toggle >> text=中文")
    page.click("button.dropdown-item >> text=English")
    page.wait_for_url(f"{live_server}/t/browser-park/")
    assert page.locator(".tenant-nav").get_by_text("Overview").is_visible()

    # Phone width: the menu collapses behind the toggler and opens on tap.
    page.set_viewport_size({"width": 390, "height": 800})
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert not page.get_by_text("My tenants").is_visible()
    toggler.click()
    page.get_by_text("My tenants").wait_for(state="visible")
    assert problems == [], problems
