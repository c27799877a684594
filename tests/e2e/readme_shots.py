"""The README's three screenshots, from the demo data (`flask demo seed`, Chinese text):
the park administrator's dashboard on a laptop, the instructor's home on a phone, the Chongqing
district reviewer's workbench on a laptop. Not part of `make test` (the name is not test_*):
`make screenshots` runs it and writes tests/e2e/readme/*.png, which are kept in the repository."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser
README = Path(__file__).resolve().parent / "readme"
SHOTS = (
    # file, demo login, address, browser size
    ("dashboard.png", "admin@demo.example", "/t/optics-valley/", DESKTOP),
    ("instructor-phone.png", "instructor@demo.example", "/instructor/", PHONE),
    ("workbench.png", "cq-reviewer@demo.example", "/workbench/", DESKTOP),
)


@pytest.fixture
def demo(app, make):
    """The demo, and a fuller desk for the Chongqing district reviewer: the park's application
    of this year and two enterprises' demonstration-unit applications the park recommends."""
    from saas.extensions import db
    from saas.tenancy import Tenant

    from saas.tenancy import tenant_scope
    from tenants.recognition.models import UnitApplication

    from ..test_workbench import put_application

    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    park = db.session.query(Tenant).filter_by(slug="cq-liangjiang").one()
    now, year = datetime.now(), date.today().year
    put_application(park.id, "submitted", year=year, submitted_at=now - timedelta(days=3))
    for days, name in ((9, "重庆两江智能制造有限公司"), (5, "重庆悦来数据服务有限公司")):
        enterprise_id = make.enterprise(park, name=name)
        with tenant_scope(park.id):
            db.session.add(UnitApplication(kind="enterprise", enterprise_id=enterprise_id, scheme="cq-enterprise",
                                           year=year, status="recommended", submitted_at=now - timedelta(days=days + 6),
                                           recommended_at=now - timedelta(days=days)))
            db.session.commit()
    return app


@pytest.mark.parametrize("name, email, path, size", SHOTS, ids=[s[0] for s in SHOTS])
def test_readme_screenshot(demo, live_server, browser, name, email, path, size):
    page = browser.new_context(locale="zh-CN", **size).new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.config["DEMO_PASSWORD"])
    with page.expect_navigation():
        page.click("main input[type=submit]")
    response = page.goto(f"{live_server}{path}")
    assert response.status == 200 and "/login" not in page.url
    page.wait_for_load_state("networkidle")
    README.mkdir(exist_ok=True)
    page.screenshot(path=str(README / name))  # the first screenful: what a person sees on arrival
    assert (README / name).stat().st_size > 10_000
