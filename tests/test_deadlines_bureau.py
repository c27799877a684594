"""Deadlines (page, iCalendar feed, reminders) and the bureau's jurisdiction view."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from saas.extensions import db
from saas.mail import SentMail
from saas.notifications import Notification
from saas.tenancy import tenant_scope
from tenants.stations.models import ServiceLog, Station


def _feed(client) -> str:
    page = client.get("/deadlines").get_data(as_text=True)
    return re.search(r'<code class="user-select-all">http://localhost([^<]+)</code>', page).group(1)


def test_calendar_feed_lists_the_window_reports_and_follow_ups(app, make, login_as):
    district = make.bureau("区局", level="district")
    district.application_opens, district.application_closes = "04-20", "06-05"
    db.session.commit()
    tenant = make.tenant(slug="cal", name="日历园区", bureau=district)
    make.user("admin@example.com", tenant=tenant, role="admin")
    year = date.today().year
    with tenant_scope(tenant.id):
        station = Station(name="站")
        db.session.add(station)
        db.session.flush()
        db.session.add(ServiceLog(served_on=date.today(), station_id=station.id, category="consultation",
                                  non_member="某公司", follow_up="open", follow_up_due=date(year + 1, 1, 20)))
        db.session.commit()
    client = login_as("admin@example.com")
    ics = app.test_client().get(_feed(client))
    text = ics.get_data(as_text=True)
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert text.startswith("BEGIN:VCALENDAR") and text.rstrip().endswith("END:VCALENDAR")
    starts = set(re.findall(r"DTSTART;VALUE=DATE:(\d{8})", text))
    assert f"{year + 1}0420" in starts and f"{year + 1}0605" in starts  # the bureau's own window
    assert f"{year + 1}0120" in starts  # the open follow-up
    assert (f"{year}1215" in starts) or (f"{year + 1}0615" in starts)  # progress reports (CQ-4)


def test_calendar_token_is_personal_and_revoked_by_a_password_change(app, make, login_as):
    tenant = make.tenant(slug="cal2")
    user = make.user("admin@example.com", tenant=tenant, role="admin")
    feed = _feed(login_as("admin@example.com"))
    assert app.test_client().get(feed).status_code == 200
    # Two characters of the signature changed (to ones they are not: a fixed "xx" left the
    # signature intact whenever it already read "xx", once in 4,096 runs).
    tampered = "".join("A" if c != "A" else "B" for c in feed[-8:-6])
    assert app.test_client().get(feed[:-8] + tampered + feed[-6:]).status_code == 404
    user.set_password("another-long-password")
    db.session.commit()
    assert app.test_client().get(feed).status_code == 404


def test_reminders_go_out_7_days_and_1_day_ahead_once(app, make):
    tenant = make.tenant(slug="rem")
    make.user("admin@example.com", tenant=tenant, role="admin")
    year = date.today().year + 1
    from tenants.deadlines.tasks import send_reminders

    with app.test_request_context():
        # 15 June: the default application window closes and the half-year report is due.
        assert send_reminders(date(year, 6, 8)) == 2  # 7 days ahead
        assert send_reminders(date(year, 6, 9)) == 0
        assert send_reminders(date(year, 6, 14)) == 2  # and 1 day ahead
    texts = db.session.scalars(sa.select(Notification.text)).all()
    assert len(texts) == 4 and all(f"{year}-06-15" in t for t in texts)
    assert db.session.scalar(sa.select(sa.func.count(SentMail.id))) == 4


def test_jurisdiction_view_counts_only_the_bureaus_tenants(app, make, login_as):
    city = make.bureau("市局", level="city")
    mine = make.bureau("甲区局", level="district", parent=city)
    other_city = make.bureau("外市局", level="city")
    inside = make.tenant(slug="inside", name="辖区园区", bureau=mine)
    outside = make.tenant(slug="outside", name="外地园区", bureau=other_city)
    for tenant in (inside, outside):
        for n in range(3):
            make.enterprise(tenant, status="demonstration" if n < 2 else "liaison")
    make.user("rev@example.com", bureau=city, bureau_role="reviewer")
    client = login_as("rev@example.com")
    page = client.get("/bureau/").get_data(as_text=True)
    assert "辖区园区" in page and "外地园区" not in page
    assert re.search(r'data-total="demonstration_units">2<', page)
    assert "目标完成情况" not in page  # no target set: no chart against one
    response = client.post(f"/bureau/targets/{date.today().year}", data={"bases": "6", "stations": "60",
                                                                           "demonstration_units": "35", "adopted_standard": "500"})
    assert response.status_code == 302
    page = client.get("/bureau/").get_data(as_text=True)
    assert re.search(r'data-total="demonstration_units">2 / 35<', page)
    # The chart against the targets: the set targets only, each share on one scale.
    import base64

    src = re.search(r'<img class="w-100 chart" src="data:image/svg\+xml;base64,([^"]+)" alt="[0-9]+ 年目标完成情况"', page)
    drawing = base64.b64decode(src.group(1)).decode()
    assert "2 / 35 · 6%" in drawing and "0 / 60 · 0%" in drawing and "0 / 500 · 0%" in drawing
    assert drawing.count('fill="#e9ecef"') == 4  # four targets set; liaison enterprises has none
    export = client.get("/bureau/export.xlsx")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")


def test_jurisdiction_view_is_for_reviewers_only(make, login_as):
    tenant = make.tenant(slug="t")
    make.user("admin@example.com", tenant=tenant, role="admin")
    assert login_as("admin@example.com").get("/bureau/").status_code == 403


def test_jurisdiction_view_runs_constant_queries(app, make, login_as):
    from sqlalchemy import event

    city = make.bureau("市局", level="city")
    make.user("rev@example.com", bureau=city, bureau_role="reviewer")
    client = login_as("rev@example.com")

    def count():
        client.get("/bureau/")
        seen = []
        with app.app_context():
            listener = lambda *a: seen.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                client.get("/bureau/")
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    make.tenant(slug="one", bureau=city)
    few = count()
    for n in range(8):
        t = make.tenant(slug=f"more-{n}", bureau=city)
        make.enterprise(t)
    assert count() == few


def test_tenant_organisation_feeds_the_dossier(app, make, login_as):
    tenant = make.tenant(slug="org")
    make.user("admin@example.com", tenant=tenant, role="admin")
    client = login_as("admin@example.com")
    response = client.post("/t/org/settings/", data={"name": "组织园区", "region": "", "default_locale": "zh_CN",
                                                     "leading_group": "组长：张三", "office_address": "高新大道1号",
                                                     "staff": "李四", "budget": "30 万元"})
    assert response.status_code == 302
    client.post("/t/org/applications/start", data={"scheme": "cq-park", "year": str(date.today().year)})
    page = client.get("/t/org/applications/1").get_data(as_text=True)
    assert response.status_code == 302
    from saas.tenancy import Tenant

    db.session.expire_all()
    assert db.session.get(Tenant, tenant.id).organisation["leading_group"] == "组长：张三"
    with app.test_request_context(), tenant_scope(tenant.id):
        from tenants.applications import dossier
        from tenants.applications.models import Application

        data = dossier.build(db.session.scalar(sa.select(Application)), db.session.get(Tenant, tenant.id))
    assert {"title": "领导小组", "text": "组长：张三"} in data["organisation"] or \
        any(o["text"] == "组长：张三" for o in data["organisation"])
    assert page
