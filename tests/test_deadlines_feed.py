"""The calendar feed written with `icalendar` (escaping, folding, time zones, alarms, stable
UIDs) and the review deadlines of a bureau reviewer's jurisdiction (issue 21)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from icalendar import Calendar

from saas.auth.models import User
from saas.extensions import db
from saas.notifications import Notification
from saas.tenancy import tenant_scope
from tenants.applications.models import Application
from tenants.deadlines import ical
from tenants.deadlines.service import Deadline, for_user
from tenants.recognition.models import Recognition

from .sql import statements

LONG = "重庆两江新区商业秘密保护示范基地管理委员会产业园区企业服务中心,联络处;第一分部"


def _feed(client) -> str:
    page = client.get("/deadlines").get_data(as_text=True)
    return re.search(r'<code class="user-select-all">http://localhost([^<]+)</code>', page).group(1)


def _events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk("VEVENT")]


def _expected(app, email) -> list[str]:
    today = date.today()
    with app.test_request_context(), force_locale("zh_CN"):
        return [d.title for d in for_user(User.by_email(email), today - timedelta(days=30), today + timedelta(days=400))]


def _base(make, bureau, slug, name, *, notice=True):
    """A base with a recognised application due for re-review, one in public notice and a
    demonstration unit whose term ends soon."""
    tenant = make.tenant(slug=slug, name=name, bureau=bureau, standard="cq")
    enterprise_id = make.enterprise(tenant, name=f"{name}的企业")
    today = date.today()
    with tenant_scope(tenant.id):
        db.session.add(Application(scheme="cq-park", year=today.year - 2, sections={}, version=1, status="recognised",
                                   rereview_due=today + timedelta(days=20)))
        if notice:
            db.session.add(Application(scheme="cq-park", year=today.year, sections={}, version=1,
                                       status="public_notice", notice_end=today + timedelta(days=10)))
        db.session.add(Recognition(kind="enterprise", enterprise_id=enterprise_id, source="recorded", scheme="cq-enterprise",
                                   certificate_no=f"证-{slug}", recognised_on=today - timedelta(days=700),
                                   valid_until=today + timedelta(days=30)))
        db.session.commit()
    return tenant


@pytest.fixture
def jurisdiction(make):
    city = make.bureau("重庆市市场监督管理局", level="city")
    district = make.bureau("重庆市渝北区市场监督管理局", level="district", parent=city)
    elsewhere = make.bureau("成都市市场监督管理局", level="city")
    inside = _base(make, district, "inside", LONG)
    outside = _base(make, elsewhere, "outside", "外地园区")
    make.user("rev@example.com", bureau=city, bureau_role="reviewer")
    return city, inside, outside


def test_feed_parses_escapes_and_folds_and_round_trips_the_titles(app, jurisdiction, login_as):
    response = app.test_client().get(_feed(login_as("rev@example.com")))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.data
    lines = body.split(b"\r\n")
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-2] == b"END:VCALENDAR" and lines[-1] == b""
    # Folded at 75 octets, never inside a character: every physical line is valid UTF-8.
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")
    assert any(line.startswith(b" ") for line in lines)  # the long Chinese titles were folded
    unfolded = body.decode().replace("\r\n ", "")
    assert "\\," in unfolded and "\\;" in unfolded
    titles = [str(e["SUMMARY"]) for e in _events(body)]
    assert titles == _expected(app, "rev@example.com")  # round trip: exactly the titles
    assert any(LONG in t for t in titles)


def test_a_reviewer_sees_the_jurisdictions_review_deadlines_and_no_others(app, jurisdiction, login_as):
    _city, inside, outside = jurisdiction
    events = _events(app.test_client().get(_feed(login_as("rev@example.com"))).data)
    titles = [str(e["SUMMARY"]) for e in events]
    uids = {str(e["UID"]) for e in events}
    today = date.today()
    with tenant_scope(inside.id):
        notice = db.session.scalar(sa.select(Application).where(Application.status == "public_notice"))
        recognised = db.session.scalar(sa.select(Application).where(Application.status == "recognised"))
        unit = db.session.scalar(sa.select(Recognition))
    assert f"notice-{notice.id}@localhost" in uids  # public notice ends
    assert f"rereview-{recognised.id}-bureau@localhost" in uids  # base re-review due (CQ-3)
    assert f"unit-term-{unit.id}@localhost" in uids  # a demonstration unit's term ends
    by_uid = {str(e["UID"]): e for e in events}
    assert by_uid[f"unit-term-{unit.id}@localhost"].decoded("DTSTART") == today + timedelta(days=30)
    assert f"{LONG}的企业" in str(by_uid[f"unit-term-{unit.id}@localhost"]["SUMMARY"])
    # The CQ-4 progress reports of the base (its set of standards' dates).
    reports = [t for t in titles if t.startswith(LONG) and "进展报告" in t]
    assert reports, titles
    assert not any("外地园区" in t for t in titles)  # another jurisdiction's
    with tenant_scope(outside.id):
        other_ids = [a.id for a in db.session.scalars(sa.select(Application))]
    assert not any(uid.startswith((f"notice-{i}@", f"rereview-{i}-")) for i in other_ids for uid in uids)


def test_events_are_all_day_with_stable_uids_and_alarms(app, jurisdiction, login_as):
    client = login_as("rev@example.com")
    feed = _feed(client)
    first, second = app.test_client().get(feed).data, app.test_client().get(feed).data
    assert [str(e["UID"]) for e in _events(first)] == [str(e["UID"]) for e in _events(second)]
    text = first.decode().replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:" in text and "BEGIN:VTIMEZONE" not in text  # no times: no zone needed
    for event in _events(first):
        assert isinstance(event.decoded("DTSTART"), date) and event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(days=1)
        alarms = event.walk("VALARM")
        assert sorted(a.decoded("TRIGGER") for a in alarms) == [timedelta(days=-7), timedelta(days=-1)]


def test_a_deadline_at_a_time_is_in_asia_shanghai_with_its_vtimezone(app):
    with app.app_context():
        body = ical.calendar([Deadline(date(2027, 6, 15), "提交,报告;\n第二行\\结束", "http://localhost/x", "timed-1",
                                       at=time(17, 0)),
                              Deadline(date(2027, 6, 16), "全天", "", "allday-1")], "测试")
    cal = Calendar.from_ical(body)
    [zone] = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    timed, allday = cal.walk("VEVENT")
    start = timed.decoded("DTSTART")
    assert (start.hour, start.utcoffset()) == (17, timedelta(hours=8))
    assert timed["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(timed["SUMMARY"]) == "提交,报告;\n第二行\\结束"  # escaped on the way out, whole on the way in
    assert "SUMMARY:提交\\,报告\\;\\n第二行\\\\结束" in body.decode().replace("\r\n ", "")
    assert allday.decoded("DTSTART") == date(2027, 6, 16) and "VALUE=DATE" in body.decode()


def test_the_reviewers_feed_runs_a_constant_number_of_statements(app, make, login_as):
    city = make.bureau("重庆市市场监督管理局", level="city")
    make.user("rev@example.com", bureau=city, bureau_role="reviewer")
    _base(make, city, "b-0", "园区0")
    feed = _feed(login_as("rev@example.com"))

    def count() -> int:
        client = app.test_client()
        with statements() as seen:
            assert client.get(feed).status_code == 200
        return len(seen)

    few = count()
    for n in range(1, 5):
        _base(make, city, f"b-{n}", f"园区{n}")
    assert count() == few
    titles = [str(e["SUMMARY"]) for e in _events(app.test_client().get(feed).data)]
    assert all(any(f"园区{n}" in t for t in titles) for n in range(5))


def test_reminders_are_deadline_notices(app, make):
    tenant = make.tenant(slug="rem-kind")
    make.user("admin@example.com", tenant=tenant, role="admin")
    from tenants.deadlines.tasks import send_reminders

    with app.test_request_context():
        assert send_reminders(date(date.today().year + 1, 6, 8)) >= 1
    assert set(db.session.scalars(sa.select(Notification.kind))) == {"deadline"}
