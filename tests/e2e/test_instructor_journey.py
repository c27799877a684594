"""A bureau instructor on a phone (zh_CN, 390 px wide, touch): from the instructor home to the
member due a visit, a visit recorded with a photo from the camera input, and the visit leaves
the "due" list once the second one of the year is in. No page scrolls sideways."""

from __future__ import annotations

import struct
import zlib
from datetime import date

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.files import Attachment
from saas.tenancy import tenant_scope
from tenants.visits.models import GuidanceVisit, VisitInstructor

from .conftest import check_page, sign_in

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


def _png(tmp_path, width=64, height=48):
    """A real (red) PNG, as a phone camera would send a photo."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\xc8\x1e\x1e" * width for _ in range(height))
    path = tmp_path / "现场.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_instructor_records_a_visit_on_a_phone(live_server, browser, make, tmp_path):
    tenant = make.tenant(slug="phone", name="手机园区")
    due = make.enterprise(tenant, name="待走访企业有限公司")
    instructor = make.user("ins@example.com", name="赵指导", tenant=tenant, role="instructor")
    with tenant_scope(tenant.id):  # one visit already this year: one more is needed
        first = GuidanceVisit(enterprise_id=due, visited_on=date(date.today().year, 1, 1), topics=["rules"],
                              created_by_id=instructor.id)
        db.session.add(first)
        db.session.flush()
        db.session.add(VisitInstructor(visit_id=first.id, user_id=instructor.id))
        db.session.commit()

    page = browser.new_context(locale="zh-CN", **PHONE).new_page()
    errors = sign_in(page, live_server, "ins@example.com", tap=True)
    assert page.url == f"{live_server}/instructor/"  # an instructor lands on the instructor home

    page.goto(f"{live_server}/instructor/")
    assert _fits(page)
    check_page(page, "instructor", "home")
    page.tap("text=待走访企业有限公司")
    page.wait_for_url(f"{live_server}/t/phone/visits/new?enterprise={due}")
    assert _fits(page)
    assert page.input_value("select[name=enterprise_id]") == str(due), "the member is chosen already"
    assert page.get_attribute("input[name=photo]", "capture") == "environment"
    check_page(page, "instructor", "visit-form")
    page.check("input[name=topics][value=measures]")
    page.fill("textarea[name=findings]", "涉密区域未设门禁")
    page.fill("textarea[name=recommendations]", "一个月内加装门禁")
    page.set_input_files("input[name=photo]", str(_png(tmp_path)))
    page.tap("text=保存走访记录")
    page.wait_for_selector("text=走访记录已保存。")
    assert _fits(page)
    assert "涉密区域未设门禁" in page.inner_text("main")
    check_page(page, "instructor", "visit")

    page.goto(f"{live_server}/instructor/")
    assert page.locator(f"a[href*='enterprise={due}']").count() == 0, "two visits this year: no longer due"
    check_page(page, "instructor", "home-after")
    assert errors == []

    with tenant_scope(tenant.id):
        db.session.expire_all()
        visit = db.session.scalar(sa.select(GuidanceVisit).where(GuidanceVisit.id != first.id))
        assert (visit.enterprise_id, visit.topics, visit.findings) == (due, ["measures"], "涉密区域未设门禁")
        assert [u.id for u in visit.instructors] == [instructor.id]
        photo = db.session.scalar(sa.select(Attachment).where(Attachment.owner_type == "visit",
                                                              Attachment.owner_id == visit.id))
        assert (photo.filename, photo.content_type) == ("现场.png", "image/png")
