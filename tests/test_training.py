"""Training and publicity: coverage figures computed in SQL (WH-1, WH-2, CQ-1, XC-3) and the rows
behind each figure, recording events with the attendance grid, the sign-in sheet import,
enterprise-logged internal training, the training ledger export and constant SQL per page.
"""

from __future__ import annotations

import io
import itertools
import re
from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import cross_tenant_reads, tenant_scope
from tenants.members.models import Enterprise, LiaisonPerson
from tenants.members.services import change_status
from tenants.training.coverage import Figures, Period, figures
from tenants.training.models import Attendance, TrainingEvent

from .factories import credit_code_for
from .sql import statements

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
Y = 2024  # a past year, so every date of it may be recorded
_seq = itertools.count(1)


# --- helpers -------------------------------------------------------------------------------------

@pytest.fixture
def park(make, login_as):
    """A tenant (English pages, so texts can be asserted) with an admin already logged in."""
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en")
    admin = make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    return SimpleNamespace(tenant=tenant, id=tenant.id, slug=tenant.slug, admin_id=admin.id,
                           admin=login_as("admin@example.com"), url=f"/t/{tenant.slug}/training")


@contextmanager
def reading(tenant_id):
    """Fresh reads of what the requests (own app contexts, own sessions) committed."""
    db.session.rollback()
    with tenant_scope(tenant_id):
        yield db.session


def text(response) -> str:
    return response.get_data(as_text=True)


def add_event(tenant_id, held_on, attendance=None, title=None, kind="training", hours=2.0, organiser="base",
              organiser_enterprise_id=None, key_staff=None) -> int:
    """A training event with {enterprise id: headcount} attendance, straight into the database."""
    key_staff = key_staff or {}
    with tenant_scope(tenant_id):
        e = TrainingEvent(title=title or f"培训活动{next(_seq)}", kind=kind, organiser=organiser,
                          organiser_enterprise_id=organiser_enterprise_id, held_on=held_on, hours=hours,
                          attendance=[Attendance(enterprise_id=eid, headcount=n, key_staff=key_staff.get(eid, ""))
                                      for eid, n in (attendance or {}).items()])
        db.session.add(e)
        db.session.commit()
        return e.id


def staff(prefix: str, first: int, last: int) -> str:
    """Names of employees first..last of one enterprise, as typed in the attendance grid."""
    return "、".join(f"{prefix}员工{i}" for i in range(first, last + 1))


def withdraw(tenant_id, enterprise_id, on):
    with tenant_scope(tenant_id):
        change_status(db.session.get(Enterprise, enterprise_id), "withdrawn", on=on, reason="迁出本园区")
        db.session.commit()


def figures_of(tenant_id, period: Period) -> Figures:
    with reading(tenant_id):
        return figures(period)


def attendance_of(tenant_id, event_id) -> dict[int, tuple[int, str]]:
    with reading(tenant_id) as s:
        return {a.enterprise_id: (a.headcount, a.key_staff)
                for a in s.scalars(sa.select(Attendance).where(Attendance.event_id == event_id))}


def events_of(tenant_id) -> list[TrainingEvent]:
    with reading(tenant_id) as s:
        return list(s.scalars(sa.select(TrainingEvent).order_by(TrainingEvent.id)))


def page_figures(response) -> dict[str, str]:
    """{data-figure name: its text} of the coverage page."""
    assert response.status_code == 200, response.status_code
    found = re.findall(r'data-figure="(\w+)"[^>]*>(.*?)</(?:a|div)>', text(response), re.S)
    return {name: re.sub(r"<[^>]+>", "", inner).strip() for name, inner in found}


def listed_members(response) -> list[str]:
    """Enterprise names in the coverage page's table (each links to the events it attended)."""
    assert response.status_code == 200, response.status_code
    return re.findall(r'<td><a href="/t/[^/]+/training/\?[^"]*enterprise=\d+[^"]*">([^<]+)</a></td>', text(response))


def listed_events(response) -> list[str]:
    """Event titles in the events list."""
    assert response.status_code == 200, response.status_code
    return re.findall(r'<td><a href="/t/[^/]+/training/\d+">([^<]+)</a></td>', text(response))


def grid(title="园区商业秘密保护培训", held_on=f"{Y}-05-10", counts=None, names=None, **fields) -> dict:
    """The event form as the browser sends it (base organiser), with hc-/names- fields."""
    data = {"title": title, "kind": "training", "organiser": "base", "organiser_enterprise_id": "0",
            "organiser_name": "", "held_on": held_on, "hours": "2", "venue": "园区会议室", "trainer": "王律师",
            "topics": ""}
    data.update(fields)
    for eid, value in (counts or {}).items():
        data[f"hc-{eid}"] = str(value)
    for eid, value in (names or {}).items():
        data[f"names-{eid}"] = value
    return data


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HEADER = ("企业名称或统一社会信用代码", "人数", "参训人员")


def upload(client, url, data: bytes, filename: str):
    return client.post(url, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def enterprise_user(make, login_as, tenant, enterprise_id, email="ent@example.com"):
    user = make.user(email, name="企业联络员")
    grant(user, tenant, "enterprise", enterprise_id)
    db.session.commit()
    return login_as(email)


def bulk_members(tenant_id, n, start=1000, employees=20) -> list[int]:
    """Many active members with a liaison each, fast (no HTTP, one flush)."""
    with tenant_scope(tenant_id):
        rows = []
        for i in range(start, start + n):
            e = Enterprise(name=f"批量企业{i:05d}", credit_code=credit_code_for(i), employees=employees,
                           joined_on=date(Y, 1, 1), status="liaison")
            e.liaisons.append(LiaisonPerson(name=f"联络员{i}", mobile="13800000000", started_on=date(Y, 1, 1)))
            rows.append(e)
        db.session.add_all(rows)
        db.session.commit()
        return [e.id for e in rows]


def bulk_events(tenant_id, n, members, headcount=3, start=date(Y, 2, 1)) -> None:
    """n events in year Y, each attended by every one of `members`."""
    with tenant_scope(tenant_id):
        db.session.add_all([
            TrainingEvent(title=f"批量培训{i:03d}", kind=("training", "publicity", "seminar")[i % 3],
                          held_on=start + timedelta(days=i % 300), hours=1.5,
                          attendance=[Attendance(enterprise_id=eid, headcount=headcount) for eid in members])
            for i in range(n)])
        db.session.commit()


# --- 1. coverage figures -------------------------------------------------------------------------

@pytest.fixture
def year_members(park, make):
    """The coverage scenario of year Y:

    A trained twice, B trained once, C joined in December and never trained, E never trained,
    D a member since Y-1 withdrawn on 30 June of Y (trained in Y-1 and, before leaving, in Y).
    """
    t = park.tenant
    ids = SimpleNamespace(
        a=make.enterprise(t, name="A 星辰科技", employees=10, liaison="甲联络"),
        b=make.enterprise(t, name="B 东方制药", employees=10, liaison="乙联络"),
        c=make.enterprise(t, name="C 腊月新材料", employees=5, joined_on=date(Y, 12, 15), liaison="丙联络"),
        d=make.enterprise(t, name="D 迁出电子", employees=8, joined_on=date(Y - 1, 3, 1), liaison="丁联络"),
        e=make.enterprise(t, name="E 蓝海软件", employees=30, liaison="赵六"),
    )
    ids.ev1 = add_event(park.id, date(Y, 3, 10), {ids.a: 6, ids.d: 8}, kind="training", hours=2,
                        key_staff={ids.a: staff("星", 1, 6)})
    ids.ev2 = add_event(park.id, date(Y, 9, 5), {ids.a: 4, ids.b: 3}, kind="publicity", hours=1.5,
                        key_staff={ids.a: staff("星", 7, 10)})
    ids.ev_before = add_event(park.id, date(Y - 1, 5, 20), {ids.d: 2}, kind="briefing", hours=3)
    withdraw(park.id, ids.d, date(Y, 6, 30))
    return ids


def test_trained_twice_counts_once_and_withdrawn_member_leaves_the_year(park, year_members):
    fig = figures_of(park.id, Period.year(Y))
    # Active: A, B, C (joined in December), E — not D, withdrawn in June.
    assert fig.active == 4
    # Trained: A (twice, counted once) and B; D's March attendance counts for nobody.
    assert fig.trained == 2
    assert fig.ratio == 0.5
    assert fig.never_trained == 2
    assert not fig.wh2_met  # exactly 50 % is not "more than 50 %"

    earlier = figures_of(park.id, Period.year(Y - 1))
    # In Y-1 only D was a member (the others joined in Y); it was trained then.
    assert (earlier.active, earlier.trained, earlier.ratio) == (1, 1, 1.0)
    assert earlier.wh2_met

    shown = page_figures(park.admin.get(f"{park.url}/coverage", query_string={"year": Y}))
    assert shown["active"] == "4"
    assert shown["trained"] == "2"
    assert shown["ratio"] == "50.0%"
    assert shown["never"] == "2"
    page = text(park.admin.get(f"{park.url}/coverage", query_string={"year": Y}))
    assert "WH-2 not met" in page and "WH-2 met" not in page

    shown = page_figures(park.admin.get(f"{park.url}/coverage", query_string={"year": Y - 1}))
    assert (shown["active"], shown["trained"], shown["ratio"], shown["never"]) == ("1", "1", "100.0%", "0")


def test_a_member_counts_while_it_is_a_member(park, year_members):
    """D (withdrawn 30 June) is active over any range ending before that day."""
    spring = Period(date(Y, 1, 1), date(Y, 3, 31))
    fig = figures_of(park.id, spring)
    assert (fig.active, fig.trained) == (4, 2)  # A, B, D, E active; A and D trained in March
    assert fig.events == 1
    shown = page_figures(park.admin.get(f"{park.url}/coverage",
                                        query_string={"from": f"{Y}-01-01", "to": f"{Y}-03-31"}))
    assert (shown["active"], shown["trained"], shown["ratio"]) == ("4", "2", "50.0%")
    # From the day after the withdrawal on, D is gone.
    fig = figures_of(park.id, Period(date(Y, 7, 1), date(Y, 11, 30)))
    assert (fig.active, fig.trained) == (3, 2)  # A, B, E (C joins in December); A and B in September


def test_december_joiner_is_in_the_denominator(park, make):
    early = make.enterprise(park.tenant, name="年初企业")
    late = make.enterprise(park.tenant, name="腊月企业", joined_on=date(Y, 12, 20))
    add_event(park.id, date(Y, 4, 1), {early: 5})
    fig = figures_of(park.id, Period.year(Y))
    assert (fig.active, fig.trained, fig.ratio) == (2, 1, 0.5)
    # Not yet a member in November.
    fig = figures_of(park.id, Period(date(Y, 1, 1), date(Y, 11, 30)))
    assert (fig.active, fig.trained, fig.ratio) == (1, 1, 1.0)
    assert "腊月企业" in listed_members(park.admin.get(f"{park.url}/coverage",
                                                     query_string={"year": Y, "show": "never"}))
    assert late  # (its id is only needed to exist)


def test_membership_boundaries_on_the_last_day(park, make):
    """Active = joined by the period's last day and not withdrawn on it."""
    t = park.tenant
    make.enterprise(t, name="年末加入", joined_on=date(Y, 12, 31))
    left_on_last_day = make.enterprise(t, name="年末退出", joined_on=date(Y - 1, 1, 1))
    left_next_day = make.enterprise(t, name="次年退出", joined_on=date(Y - 1, 1, 1))
    make.enterprise(t, name="次年加入", joined_on=date(Y + 1, 1, 1))
    withdraw(park.id, left_on_last_day, date(Y, 12, 31))
    withdraw(park.id, left_next_day, date(Y + 1, 1, 1))
    assert figures_of(park.id, Period.year(Y)).active == 2  # 年末加入, 次年退出
    assert sorted(listed_members(park.admin.get(f"{park.url}/coverage", query_string={"year": Y}))) == \
        sorted(["年末加入", "次年退出"])
    assert figures_of(park.id, Period.year(Y - 1)).active == 2  # 年末退出, 次年退出


def test_empty_tenant_shows_no_members(park):
    fig = figures_of(park.id, Period.year(Y))
    assert (fig.active, fig.trained, fig.all_staff, fig.events, fig.hours) == (0, 0, 0, 0, 0)
    assert fig.ratio is None
    assert not fig.wh2_met
    response = park.admin.get(f"{park.url}/coverage", query_string={"year": Y})
    shown = page_figures(response)
    assert shown["ratio"] == "no members"
    assert shown["active"] == "0" and shown["trained"] == "0" and shown["never"] == "0"
    assert "%" not in shown["ratio"]
    assert "No members in this list." in text(response)


def test_other_tenants_are_not_counted(park, make, year_members):
    other = make.tenant(slug="other", default_locale="en")
    x = make.enterprise(other, name="X 别园企业")
    add_event(other.id, date(Y, 3, 10), {x: 100}, kind="publicity", hours=10)
    fig = figures_of(park.id, Period.year(Y))
    assert (fig.active, fig.trained, fig.events, fig.publicity_events, fig.hours) == (4, 2, 2, 1, 3.5)
    fig = figures_of(other.id, Period.year(Y))
    assert (fig.active, fig.trained, fig.events, fig.publicity_events, fig.hours) == (1, 1, 1, 1, 10.0)


def _members_trained(tenant_id, total, trained):
    ids = bulk_members(tenant_id, total)
    if trained:
        add_event(tenant_id, date(Y, 6, 1), {eid: 1 for eid in ids[:trained]})
    return ids


@pytest.mark.parametrize("total, trained, met", [
    (28, 14, False),  # exactly 50 %
    (29, 15, True),  # just over 50 %
    (4, 2, False),
    (5, 3, True),
])
def test_wh2_ratio_boundary(park, total, trained, met):
    _members_trained(park.id, total, trained)
    fig = figures_of(park.id, Period.year(Y))
    assert (fig.active, fig.trained) == (total, trained)
    assert fig.wh2_met is met
    page = text(park.admin.get(f"{park.url}/coverage", query_string={"year": Y}))
    assert ("WH-2 met" in page) is met
    assert ("WH-2 not met" in page) is not met


@pytest.mark.parametrize("trained, met", [(29, False), (30, True)])
def test_wh2_thirty_trained_enterprises(park, trained, met):
    _members_trained(park.id, 100, trained)
    fig = figures_of(park.id, Period.year(Y))
    assert (fig.active, fig.trained) == (100, trained)
    assert fig.ratio < 0.5
    assert fig.wh2_met is met
    page = text(park.admin.get(f"{park.url}/coverage", query_string={"year": Y}))
    assert page_figures(park.admin.get(f"{park.url}/coverage", query_string={"year": Y}))["ratio"] == f"{trained}.0%"
    assert ("WH-2 met" in page) is met


def test_wh2_met_property():
    p = Period.year(Y)
    kinds = {"training": (0, 0.0), "briefing": (0, 0.0), "publicity": (0, 0.0), "seminar": (0, 0.0),
             "study_visit": (0, 0.0)}
    assert Figures(p, 200, 100, 0, 0, 0, kinds).wh2_met is True  # 100 trained: at least 30
    assert Figures(p, 10, 5, 0, 0, 0, kinds).wh2_met is False
    assert Figures(p, 10, 6, 0, 0, 0, kinds).wh2_met is True
    assert Figures(p, 100, 29, 0, 0, 0, kinds).wh2_met is False
    assert Figures(p, 100, 30, 0, 0, 0, kinds).wh2_met is True
    assert Figures(p, 0, 0, 0, 0, 0, kinds).ratio is None


def test_all_staff_training_over_two_events(park, make):
    t = park.tenant
    reached = make.enterprise(t, name="全员达标企业", employees=10)
    short = make.enterprise(t, name="差一人企业", employees=10)
    earlier = make.enterprise(t, name="去年全员企业", employees=4, joined_on=date(Y - 1, 1, 1))
    # Distinct people over the year: named, each counted once (a sum of headcounts proves nothing).
    add_event(park.id, date(Y, 3, 1), {reached: 6, short: 6},
              key_staff={reached: staff("达", 1, 6), short: staff("差", 1, 6)})
    add_event(park.id, date(Y, 10, 1), {reached: 4, short: 3},
              key_staff={reached: staff("达", 7, 10), short: staff("差", 7, 9)})
    add_event(park.id, date(Y - 1, 10, 1), {earlier: 4, short: 1})  # last year's does not count this year
    fig = figures_of(park.id, Period.year(Y))
    assert (fig.active, fig.trained, fig.all_staff, fig.all_staff_missing) == (3, 2, 1, 2)
    assert figures_of(park.id, Period.year(Y - 1)).all_staff == 1  # `earlier` in Y-1
    # Only the first event: nobody has reached all staff yet.
    assert figures_of(park.id, Period(date(Y, 1, 1), date(Y, 6, 30))).all_staff == 0

    url = f"{park.url}/coverage"
    assert page_figures(park.admin.get(url, query_string={"year": Y}))["allstaff"] == "1"
    assert listed_members(park.admin.get(url, query_string={"year": Y, "show": "allstaff"})) == ["全员达标企业"]
    assert sorted(listed_members(park.admin.get(url, query_string={"year": Y, "show": "allstaff_missing"}))) == \
        sorted(["差一人企业", "去年全员企业"])


def test_events_by_kind_publicity_and_hours(park, make):
    a = make.enterprise(park.tenant, name="A 企业")
    add_event(park.id, date(Y, 1, 15), {a: 5}, kind="training", hours=2)
    add_event(park.id, date(Y, 3, 15), {a: 5}, kind="training", hours=3.5)
    add_event(park.id, date(Y, 3, 20), {}, kind="publicity", hours=1.5)
    add_event(park.id, date(Y, 11, 1), {}, kind="publicity", hours=1)
    add_event(park.id, date(Y, 12, 31), {}, kind="seminar", hours=2)
    add_event(park.id, date(Y - 1, 12, 31), {a: 5}, kind="publicity", hours=8)  # the year before
    add_event(park.id, date(Y + 1, 1, 1), {}, kind="publicity", hours=8)  # the year after

    fig = figures_of(park.id, Period.year(Y))
    assert fig.events == 5
    assert fig.hours == pytest.approx(10.0)
    assert fig.publicity_events == 2
    assert fig.by_kind["training"] == (2, pytest.approx(5.5))
    assert fig.by_kind["publicity"] == (2, pytest.approx(2.5))
    assert fig.by_kind["seminar"] == (1, pytest.approx(2.0))
    assert fig.by_kind["briefing"] == (0, 0.0) and fig.by_kind["study_visit"] == (0, 0.0)

    response = park.admin.get(f"{park.url}/coverage", query_string={"year": Y})
    assert page_figures(response)["publicity"] == "2"
    assert "5 events, 10.0 training hours in this period" in text(response)

    march = park.admin.get(f"{park.url}/coverage", query_string={"from": f"{Y}-03-01", "to": f"{Y}-03-31"})
    assert page_figures(march)["publicity"] == "1"
    assert "2 events, 5.0 training hours in this period" in text(march)
    fig = figures_of(park.id, Period(date(Y, 3, 1), date(Y, 3, 31)))
    assert (fig.events, fig.publicity_events, fig.hours) == (2, 1, pytest.approx(5.0))

    # A reversed range is ignored: the year applies.
    reversed_range = park.admin.get(f"{park.url}/coverage",
                                    query_string={"from": f"{Y}-03-31", "to": f"{Y}-03-01", "year": Y})
    assert "5 events, 10.0 training hours in this period" in text(reversed_range)

    # The publicity figure links to exactly those events.
    publicity = listed_events(park.admin.get(f"{park.url}/", query_string={"year": Y, "kind": "publicity"}))
    assert len(publicity) == 2
    assert len(listed_events(park.admin.get(f"{park.url}/", query_string={"year": Y}))) == 5


# --- 2. the rows behind each figure --------------------------------------------------------------

def test_each_figure_lists_its_members(park, year_members):
    url = f"{park.url}/coverage"
    get = lambda show: sorted(listed_members(park.admin.get(url, query_string={"year": Y, "show": show})))  # noqa: E731
    assert get("trained") == ["A 星辰科技", "B 东方制药"]
    assert get("never") == ["C 腊月新材料", "E 蓝海软件"]
    assert get("allstaff") == ["A 星辰科技"]  # 6 + 4 other people named, of 10
    assert get("allstaff_missing") == ["B 东方制药", "C 腊月新材料", "E 蓝海软件"]
    assert get("") == ["A 星辰科技", "B 东方制药", "C 腊月新材料", "E 蓝海软件"]  # D withdrawn
    # The figure's number and its list agree, and each figure links to its list.
    page = park.admin.get(url, query_string={"year": Y})
    shown = page_figures(page)
    assert int(shown["trained"]) == len(get("trained"))
    assert int(shown["never"]) == len(get("never"))
    assert int(shown["allstaff"]) == len(get("allstaff"))
    for show in ("trained", "never", "allstaff"):
        assert re.search(rf'<a data-figure="{show}" href="[^"]*show={show}', text(page)), show
    # Each member row links to the events it attended.
    m = year_members
    link = re.search(r'<a href="([^"]*enterprise=%d[^"]*)">A 星辰科技</a>' % m.a, text(page))
    assert link
    attended = listed_events(park.admin.get(link.group(1).replace("&amp;", "&")))
    with reading(park.id) as s:
        titles = {s.get(TrainingEvent, m.ev1).title, s.get(TrainingEvent, m.ev2).title}
    assert sorted(attended) == sorted(titles)
    # The year before: D was a member and trained.
    earlier = park.admin.get(url, query_string={"year": Y - 1, "show": "trained"})
    assert listed_members(earlier) == ["D 迁出电子"]


def test_never_trained_list_shows_the_liaison(park, year_members):
    response = park.admin.get(f"{park.url}/coverage", query_string={"year": Y, "show": "never"})
    page = text(response)
    assert "Never trained in this period" in page
    row = re.search(r"<tr[^>]*>\s*<td><a[^>]*>E 蓝海软件</a></td>.*?</tr>", page, re.S)
    assert row and "赵六" in row.group(0) and "13800000000" in row.group(0)
    assert "丙联络" in page  # C's liaison
    assert "甲联络" not in page and "乙联络" not in page  # trained members are not on this list


# --- 3. recording an event with the attendance grid ---------------------------------------------

@pytest.fixture
def grid_members(park, make):
    return SimpleNamespace(a=make.enterprise(park.tenant, name="A 企业", employees=20),
                           b=make.enterprise(park.tenant, name="B 企业", employees=20),
                           c=make.enterprise(park.tenant, name="C 企业", employees=20))


def test_record_event_with_attendance_grid(park, grid_members):
    m = grid_members
    form = park.admin.get(f"{park.url}/new")
    assert form.status_code == 200
    for eid in (m.a, m.b, m.c):
        assert f'name="hc-{eid}"' in text(form)
    response = park.admin.post(f"{park.url}/new", data=grid(counts={m.a: 12, m.b: 5, m.c: ""},
                                                             names={m.a: "张三、李四"}, kind="publicity",
                                                             hours="2.5"))
    assert response.status_code == 302
    [event] = events_of(park.id)
    assert response.headers["Location"].endswith(f"/training/{event.id}")
    assert (event.title, event.kind, event.organiser, event.held_on, event.hours, event.created_by_id) == \
        ("园区商业秘密保护培训", "publicity", "base", date(Y, 5, 10), 2.5, park.admin_id)
    assert attendance_of(park.id, event.id) == {m.a: (12, "张三、李四"), m.b: (5, "")}

    page = text(park.admin.get(f"{park.url}/{event.id}"))
    assert "A 企业" in page and "张三、李四" in page and "C 企业" not in page

    # Editing: clearing A's headcount removes its row, B changes, C is added.
    response = park.admin.post(f"{park.url}/{event.id}/edit",
                               data=grid(title="改过的标题", counts={m.a: "", m.b: 7, m.c: 1}))
    assert response.status_code == 302
    assert attendance_of(park.id, event.id) == {m.b: (7, ""), m.c: (1, "")}
    assert events_of(park.id)[0].title == "改过的标题"
    # A zero also removes the row.
    assert park.admin.post(f"{park.url}/{event.id}/edit",
                           data=grid(title="改过的标题", counts={m.b: 0, m.c: 1})).status_code == 302
    assert attendance_of(park.id, event.id) == {m.c: (1, "")}


@pytest.mark.parametrize("bad, message", [("-3", "A headcount must be between 0 and"),
                                          ("abc", "Headcounts are whole numbers."),
                                          ("2.5", "Headcounts are whole numbers.")])
def test_bad_headcount_on_edit_writes_nothing(park, grid_members, bad, message):
    m = grid_members
    event_id = add_event(park.id, date(Y, 4, 1), {m.a: 4, m.b: 6}, title="原标题")
    response = park.admin.post(f"{park.url}/{event_id}/edit",
                               data=grid(title="不应保存的标题", counts={m.a: 9, m.b: bad, m.c: 3}))
    assert response.status_code == 200
    assert message in text(response)
    assert attendance_of(park.id, event_id) == {m.a: (4, ""), m.b: (6, "")}
    assert [e.title for e in events_of(park.id)] == ["原标题"]


@pytest.mark.parametrize("bad, message", [("-1", "A headcount must be between 0 and"),
                                          ("十", "Headcounts are whole numbers.")])
def test_bad_headcount_on_new_event_writes_nothing(park, grid_members, bad, message):
    m = grid_members
    response = park.admin.post(f"{park.url}/new", data=grid(counts={m.a: 9, m.b: bad}))
    assert response.status_code == 200
    assert message in text(response)
    assert events_of(park.id) == []
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_future_date_refused(park, grid_members):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = park.admin.post(f"{park.url}/new", data=grid(held_on=tomorrow, counts={grid_members.a: 3}))
    assert response.status_code == 200
    assert "Record an event once it has taken place." in text(response)
    assert events_of(park.id) == []
    # Today is fine.
    response = park.admin.post(f"{park.url}/new", data=grid(held_on=date.today().isoformat(),
                                                             counts={grid_members.a: 3}))
    assert response.status_code == 302
    assert len(events_of(park.id)) == 1


def test_another_tenants_enterprise_cannot_get_attendance(park, make, grid_members):
    other = make.tenant(slug="other", default_locale="en")
    x = make.enterprise(other, name="X 别园企业")
    response = park.admin.post(f"{park.url}/new", data=grid(counts={grid_members.a: 3, x: 50}))
    assert response.status_code in (200, 302)
    with cross_tenant_reads("test: no attendance for another tenant's enterprise"):
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Attendance.id)).where(Attendance.enterprise_id == x)) == 0
        assert db.session.scalar(sa.select(sa.func.count(Attendance.id))
                                 .where(Attendance.tenant_id == other.id)) == 0
    for event in events_of(park.id):
        assert set(attendance_of(park.id, event.id)) <= {grid_members.a}
    # Nor as the organising enterprise of internal training.
    response = park.admin.post(f"{park.url}/new", data=grid(title="别园内训", organiser="enterprise",
                                                             organiser_enterprise_id=str(x), counts={}))
    assert response.status_code == 200
    assert "别园内训" not in [e.title for e in events_of(park.id)]


# --- 4. sign-in sheet import ---------------------------------------------------------------------

@pytest.fixture
def sheet_event(park, make):
    t = park.tenant
    ids = SimpleNamespace(a=make.enterprise(t, name="A 企业", credit_code=credit_code_for(701)),
                          b=make.enterprise(t, name="B 企业", credit_code=credit_code_for(702)),
                          c=make.enterprise(t, name="C 企业", credit_code=credit_code_for(703)),
                          e=make.enterprise(t, name="E 企业", credit_code=credit_code_for(704)),
                          gone=make.enterprise(t, name="退出企业", credit_code=credit_code_for(705)))
    withdraw(park.id, ids.gone, date(Y, 1, 31))
    ids.event = add_event(park.id, date(Y, 5, 1), {ids.a: 3, ids.e: 2}, key_staff={ids.e: "老王"})
    ids.url = f"{park.url}/{ids.event}/sign-in"
    return ids


def test_sign_in_sheet_imports_attendance(park, sheet_event):
    s = sheet_event
    data = xlsx([HEADER,
                 ("B 企业", 8, "王五、赵六"),
                 (credit_code_for(703).lower(), "4", None),  # by credit code, as text
                 ("A 企业", 10.0, "")])
    response = upload(park.admin, s.url, data, "签到表.xlsx")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/training/{s.event}")
    assert attendance_of(park.id, s.event) == {s.a: (10, ""), s.b: (8, "王五、赵六"), s.c: (4, ""),
                                               s.e: (2, "老王")}  # E not on the sheet: kept
    page = text(park.admin.get(f"{park.url}/{s.event}"))
    assert "Attendance of 3 enterprises imported." in page


@pytest.mark.parametrize("bad_row, message", [
    (("不存在的企业", 5, ""), "Not a member enterprise: 不存在的企业"),
    (("退出企业", 5, ""), "Not a member enterprise: 退出企业"),
    (("C 企业", "五个", ""), "Not a headcount: 五个"),
    (("C 企业", 0, ""), "Not a headcount: 0"),
    (("C 企业", -2, ""), "Not a headcount: -2"),
    (("C 企业", None, "张三"), "Not a headcount"),
    ((credit_code_for(701), 5, ""), "The same enterprise is on row 2."),  # A again, by its code
])
def test_sign_in_sheet_with_a_bad_row_writes_nothing(park, sheet_event, bad_row, message):
    s = sheet_event
    data = xlsx([HEADER, ("A 企业", 9, "张三"), ("B 企业", 8, ""), bad_row])
    response = upload(park.admin, s.url, data, "签到表.xlsx")
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was imported" in page
    assert message in page
    assert re.search(r"<tr><td>4</td><td>[AB]</td>", page)  # the row and column of the problem
    assert attendance_of(park.id, s.event) == {s.a: (3, ""), s.e: (2, "老王")}


def test_sign_in_sheet_lists_every_bad_row(park, sheet_event):
    s = sheet_event
    data = xlsx([HEADER, ("B 企业", 8, ""), ("无名公司", 1, ""), ("C 企业", "abc", ""), ("B 企业", 2, "")])
    response = upload(park.admin, s.url, data, "签到表.xlsx")
    assert response.status_code == 422
    page = text(response)
    for expected in ("Not a member enterprise: 无名公司", "Not a headcount: abc", "The same enterprise is on row 2."):
        assert expected in page
    assert attendance_of(park.id, s.event) == {s.a: (3, ""), s.e: (2, "老王")}


@pytest.mark.parametrize("data, filename", [(PDF, "签到表.xlsx"), (b"name,count\nA,3\n", "签到表.csv"),
                                            (b"PK\x03\x04 not really a zip", "签到表.xlsx")])
def test_sign_in_sheet_must_be_xlsx(park, sheet_event, data, filename):
    s = sheet_event
    response = upload(park.admin, s.url, data, filename)
    assert response.status_code == 400
    page = text(response)
    assert "This type of file is not accepted." in page or "could not be read" in page
    assert attendance_of(park.id, s.event) == {s.a: (3, ""), s.e: (2, "老王")}


def test_empty_sign_in_sheet_is_refused(park, sheet_event):
    s = sheet_event
    response = upload(park.admin, s.url, xlsx([HEADER]), "签到表.xlsx")
    assert response.status_code == 422
    assert "The file lists no attendance." in text(response)
    assert attendance_of(park.id, s.event) == {s.a: (3, ""), s.e: (2, "老王")}


def test_sign_in_import_needs_training_manage(park, make, login_as, sheet_event):
    s = sheet_event
    client = enterprise_user(make, login_as, park.tenant, s.a)
    response = upload(client, s.url, xlsx([HEADER, ("A 企业", 50, "")]), "签到表.xlsx")
    assert response.status_code == 403
    assert attendance_of(park.id, s.event) == {s.a: (3, ""), s.e: (2, "老王")}


# --- 5. enterprise users -------------------------------------------------------------------------

@pytest.fixture
def ent(park, make, login_as):
    """Enterprise user of A; B another member; events in year Y organised or attended by each."""
    t = park.tenant
    ids = SimpleNamespace(a=make.enterprise(t, name="A 本企业", employees=20, joined_on=date(Y - 1, 1, 1)),
                          b=make.enterprise(t, name="B 别家企业", employees=20))
    ids.base_with_a = add_event(park.id, date(Y, 3, 1), {ids.a: 8, ids.b: 9}, title="基地培训甲乙",
                                key_staff={ids.a: staff("甲", 1, 8)})
    ids.base_with_b = add_event(park.id, date(Y, 4, 1), {ids.b: 9}, title="基地培训仅乙")
    ids.base_nobody = add_event(park.id, date(Y, 4, 2), {}, title="基地宣传无人", kind="publicity")
    ids.a_internal = add_event(park.id, date(Y, 5, 1), {ids.a: 12}, title="甲内部培训", organiser="enterprise",
                               organiser_enterprise_id=ids.a, key_staff={ids.a: staff("甲", 9, 20)})
    ids.b_internal = add_event(park.id, date(Y, 5, 2), {ids.b: 5}, title="乙内部培训", organiser="enterprise",
                               organiser_enterprise_id=ids.b)
    ids.client = enterprise_user(make, login_as, t, ids.a)
    return ids


def own_training(**changes) -> dict:
    """The 'log our training' form as the browser sends it (the organiser fields are not shown)."""
    data = {"title": "本企业保密培训", "kind": "training", "held_on": f"{Y}-06-01", "hours": "1.5",
            "venue": "本企业会议室", "trainer": "法务部", "topics": "保密协议"}
    data.update(changes)
    return data


def test_enterprise_user_logs_own_training(park, ent):
    c = ent.client
    form = c.get(f"{park.url}/new")
    assert form.status_code == 200
    assert f'name="hc-{ent.a}"' in text(form)
    assert f'name="hc-{ent.b}"' not in text(form) and "B 别家企业" not in text(form)

    before = {e.id for e in events_of(park.id)}
    response = c.post(f"{park.url}/new", data=own_training(**{f"hc-{ent.a}": "15", f"names-{ent.a}": "张三",
                                                              f"hc-{ent.b}": "30", f"names-{ent.b}": "李四"}))
    assert response.status_code == 302
    [new] = [e for e in events_of(park.id) if e.id not in before]
    assert (new.title, new.organiser, new.organiser_enterprise_id, new.held_on) == \
        ("本企业保密培训", "enterprise", ent.a, date(Y, 6, 1))
    assert attendance_of(park.id, new.id) == {ent.a: (15, "张三")}


def test_enterprise_organiser_is_forced_to_own_enterprise(park, ent):
    """Even when the POST names the base as organiser, the event is the enterprise's own."""
    c = ent.client
    before = {e.id for e in events_of(park.id)}
    response = c.post(f"{park.url}/new", data=own_training(organiser="enterprise", organiser_enterprise_id=str(ent.a),
                                                           **{f"hc-{ent.a}": "15", f"hc-{ent.b}": "30"}))
    assert response.status_code == 302
    [new] = [e for e in events_of(park.id) if e.id not in before]
    assert (new.organiser, new.organiser_enterprise_id) == ("enterprise", ent.a)
    assert attendance_of(park.id, new.id) == {ent.a: (15, "")}


def test_enterprise_user_cannot_log_training_for_another_enterprise(park, ent):
    c = ent.client
    before = {e.id for e in events_of(park.id)}
    for organiser in ("enterprise", "base"):
        c.post(f"{park.url}/new", data=own_training(title="替别家登记", organiser=organiser,
                                                     organiser_enterprise_id=str(ent.b), **{f"hc-{ent.b}": "30"}))
    new = [e for e in events_of(park.id) if e.id not in before]
    assert all(e.organiser_enterprise_id == ent.a and e.organiser == "enterprise" for e in new)
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(TrainingEvent.id))
                        .where(TrainingEvent.organiser_enterprise_id == ent.b)) == 1  # only b_internal
        assert s.scalar(sa.select(sa.func.count(Attendance.id)).where(Attendance.enterprise_id == ent.b)) == 3
    # Nor by editing B's internal training or adding B's headcount to its own.
    assert c.post(f"{park.url}/{ent.b_internal}/edit", data=own_training(**{f"hc-{ent.b}": "99"})).status_code == 404
    c.post(f"{park.url}/{ent.a_internal}/edit", data=own_training(title="甲内部培训",
                                                                   **{f"hc-{ent.a}": "12", f"hc-{ent.b}": "99"}))
    assert ent.b not in attendance_of(park.id, ent.a_internal)
    assert attendance_of(park.id, ent.b_internal) == {ent.b: (5, "")}


def test_enterprise_user_edits_own_training_only(park, ent):
    c = ent.client
    # Events of the base: the one it attended is visible but not editable, the others are not there.
    assert c.get(f"{park.url}/{ent.base_with_a}").status_code == 200
    assert c.get(f"{park.url}/{ent.base_with_a}/edit").status_code == 403
    assert c.post(f"{park.url}/{ent.base_with_a}/edit",
                  data=own_training(title="改基地的", **{f"hc-{ent.a}": "20"})).status_code == 403
    for event_id in (ent.base_with_b, ent.base_nobody, ent.b_internal):
        assert c.get(f"{park.url}/{event_id}").status_code == 404, event_id
        assert c.get(f"{park.url}/{event_id}/edit").status_code == 404, event_id
    assert c.get(f"{park.url}/{ent.base_with_a}/delete").status_code == 403
    assert c.post(f"{park.url}/{ent.a_internal}/delete").status_code == 403
    with reading(park.id) as s:
        assert s.get(TrainingEvent, ent.base_with_a).title == "基地培训甲乙"
    assert attendance_of(park.id, ent.base_with_a) == {ent.a: (8, staff("甲", 1, 8)), ent.b: (9, "")}

    # The page of the base event shows its own attendance only.
    page = text(c.get(f"{park.url}/{ent.base_with_a}"))
    assert "A 本企业" in page and "B 别家企业" not in page

    # Its own internal training it may edit.
    assert c.get(f"{park.url}/{ent.a_internal}/edit").status_code == 200
    response = c.post(f"{park.url}/{ent.a_internal}/edit",
                      data=own_training(title="甲内部培训（更正）", held_on=f"{Y}-05-01", **{f"hc-{ent.a}": "18"}))
    assert response.status_code == 302
    with reading(park.id) as s:
        e = s.get(TrainingEvent, ent.a_internal)
        assert (e.title, e.organiser, e.organiser_enterprise_id) == ("甲内部培训（更正）", "enterprise", ent.a)
    assert attendance_of(park.id, ent.a_internal) == {ent.a: (18, "")}


def test_enterprise_user_edit_keeps_other_enterprises_attendance(park, ent):
    """A member's internal training that staff recorded B's attendance on: when A corrects its own
    headcount, B's attendance is not A's to remove."""
    with tenant_scope(park.id):
        db.session.add(Attendance(event_id=ent.a_internal, enterprise_id=ent.b, headcount=4))
        db.session.commit()
    response = ent.client.post(f"{park.url}/{ent.a_internal}/edit",
                               data=own_training(title="甲内部培训", held_on=f"{Y}-05-01", **{f"hc-{ent.a}": "13"}))
    assert response.status_code == 302
    assert attendance_of(park.id, ent.a_internal) == {ent.a: (13, ""), ent.b: (4, "")}


def test_enterprise_user_event_list_shows_its_events_only(park, ent):
    titles = listed_events(ent.client.get(f"{park.url}/", query_string={"year": Y}))
    assert sorted(titles) == sorted(["基地培训甲乙", "甲内部培训"])
    # Filters do not widen it.
    assert listed_events(ent.client.get(f"{park.url}/", query_string={"year": Y, "enterprise": ent.b})) == \
        ["基地培训甲乙"]
    assert listed_events(ent.client.get(f"{park.url}/", query_string={"year": Y, "kind": "publicity"})) == []
    # Staff see everything.
    assert len(listed_events(park.admin.get(f"{park.url}/", query_string={"year": Y}))) == 5


def test_enterprise_user_own_figures(park, ent):
    c = ent.client
    page = text(c.get(f"{park.url}/mine", query_string={"year": Y}))
    assert "A 本企业" in page
    assert "20 / 20" in page  # 8 named at the base's training + 12 others named at its own
    assert "All-staff training done" in page and "not yet done" not in page
    # The year before it was a member but nobody was trained.
    page = text(c.get(f"{park.url}/mine", query_string={"year": Y - 1}))
    assert "0 / 20" in page and "All-staff training not yet done" in page
    # One short of all staff: one of the 12 was already at the base's training.
    with tenant_scope(park.id):
        row = db.session.scalar(sa.select(Attendance).where(Attendance.event_id == ent.a_internal))
        row.key_staff = staff("甲", 8, 19)
        db.session.commit()
    page = text(c.get(f"{park.url}/mine", query_string={"year": Y}))
    assert "19 / 20" in page and "All-staff training not yet done" in page


def test_enterprise_user_has_no_coverage_or_export(park, ent):
    c = ent.client
    assert c.get(f"{park.url}/coverage").status_code == 403
    assert c.get(f"{park.url}/coverage", query_string={"year": Y, "show": "never"}).status_code == 403
    assert c.get(f"{park.url}/export.xlsx").status_code == 403
    assert c.get(f"{park.url}/export.xlsx", query_string={"year": Y}).status_code == 403


# --- 6. export -----------------------------------------------------------------------------------

def test_export_workbook(park, year_members):
    response = park.admin.get(f"{park.url}/export.xlsx", query_string={"year": Y})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["Events", "Coverage", "By enterprise"]

    events = list(wb["Events"].iter_rows(values_only=True))
    assert "示范园区" in events[0][0]
    assert events[1][:2] == ("Date", "Title")
    body = events[2:]
    assert len(body) == 2  # the two events of Y, not the one of Y-1
    kinds = {row[2] for row in body}
    assert kinds == {"Training", "Legal publicity"}
    # Enterprises and participants of each event: 6+8 and 4+3.
    assert sorted((row[-2], row[-1]) for row in body) == [(2, 7), (2, 14)]
    assert sorted(row[4] for row in body) == [1.5, 2]

    coverage = {row[0]: row[1] for row in wb["Coverage"].iter_rows(min_row=2, values_only=True)}
    assert coverage["Active members"] == 4
    assert coverage["Trained enterprises"] == 2
    assert coverage["Trained enterprise ratio"] == 0.5
    assert coverage["All staff trained"] == 1
    assert coverage["Legal publicity events"] == 1
    assert coverage["Training hours"] == pytest.approx(3.5)

    rows = list(wb["By enterprise"].iter_rows(values_only=True))
    assert rows[1][0] == "Enterprise"
    by_name = {r[0]: r for r in rows[2:]}
    assert set(by_name) == {"A 星辰科技", "B 东方制药", "C 腊月新材料", "E 蓝海软件"}
    assert by_name["A 星辰科技"][1:5] == (10, 10, 2, "yes")
    assert by_name["B 东方制药"][1:5] == (10, 3, 1, "no")
    assert by_name["E 蓝海软件"][1:6] == (30, 0, 0, "no", "赵六")


def test_export_of_an_empty_tenant(park):
    response = park.admin.get(f"{park.url}/export.xlsx", query_string={"year": Y})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    coverage = {row[0]: row[1] for row in wb["Coverage"].iter_rows(min_row=2, values_only=True)}
    assert coverage["Active members"] == 0
    assert coverage["Trained enterprise ratio"] == "no members"


# --- 7. constant SQL per page --------------------------------------------------------------------

def _count(client, url, **query) -> int:
    client.get(url, query_string=query)  # warm-up (session, caches)
    with statements() as seen:
        response = client.get(url, query_string=query)
    assert response.status_code == 200
    return len(seen)


def test_coverage_and_events_pages_sql_do_not_grow(park, make, login_as, uncached):
    few = bulk_members(park.id, 2, start=2000)
    bulk_events(park.id, 1, few)
    pages = [(f"{park.url}/coverage", {"year": Y}), (f"{park.url}/coverage", {"year": Y, "show": "trained"}),
             (f"{park.url}/coverage", {"year": Y, "show": "never"}), (f"{park.url}/", {"year": Y})]
    small = [_count(park.admin, url, **q) for url, q in pages]

    many = bulk_members(park.id, 80, start=3000)
    bulk_events(park.id, 60, few + many[:60])
    large = [_count(park.admin, url, **q) for url, q in pages]
    assert large == small

    with reading(park.id) as s:  # the many rows are really there
        assert s.scalar(sa.select(sa.func.count(Attendance.id))) == 2 + 60 * 62


def test_enterprise_users_event_list_sql_does_not_grow(park, make, login_as):
    few = bulk_members(park.id, 2, start=2000)
    bulk_events(park.id, 1, few)
    client = enterprise_user(make, login_as, park.tenant, few[0])
    small = [_count(client, f"{park.url}/", year=Y), _count(client, f"{park.url}/mine", year=Y)]
    many = bulk_members(park.id, 50, start=3000)
    bulk_events(park.id, 40, few + many)
    large = [_count(client, f"{park.url}/", year=Y), _count(client, f"{park.url}/mine", year=Y)]
    assert large == small


# --- 8. the coverage page from the tenant cache ------------------------------------------------

def test_coverage_is_served_from_the_cache_and_a_new_attendance_shows_at_once(park, make, login_as):
    """A repeated view computes nothing (the request's own lookup only); a write — here new
    attendance, straight into the database as a job would — shows on the very next view."""
    a, b, c = bulk_members(park.id, 3, start=4000)
    add_event(park.id, date(Y, 3, 1), {a: 5})
    url, query = f"{park.url}/coverage", {"year": Y}
    assert page_figures(park.admin.get(url, query_string=query))["trained"] == "1"
    with statements() as hit:
        again = park.admin.get(url, query_string=query)
    assert len(hit) == 1 and "membership" in hit[0], hit
    assert page_figures(again)["trained"] == "1"

    add_event(park.id, date(Y, 4, 1), {b: 2, c: 3})
    shown = page_figures(park.admin.get(url, query_string=query))
    assert (shown["trained"], shown["never"]) == ("3", "0")
    # The rows behind a figure, filtered and paged, are keyed apart and follow too.
    assert sorted(listed_members(park.admin.get(url, query_string={**query, "show": "trained"}))) == \
        ["批量企业04000", "批量企业04001", "批量企业04002"]
    assert listed_members(park.admin.get(url, query_string={**query, "show": "never"})) == []


def test_cached_coverage_keeps_each_roles_contact_rights(park, make, login_as):
    """The liaison mobiles are shown to the admin and masked for a role that may not see them:
    a cached page of one never reaches the other."""
    bulk_members(park.id, 1, start=4100)
    make.user("instructor@example.com", name="指导员", tenant=park.tenant, role="instructor")
    viewer = login_as("instructor@example.com")  # contacts of its assigned members only
    url, query = f"{park.url}/coverage", {"year": Y}
    for _ in range(2):  # the second round from the cache
        assert "13800000000" in text(park.admin.get(url, query_string=query))
        page = text(viewer.get(url, query_string=query))
        assert "13800000000" not in page and "138****0000" in page


def test_coverage_page_total_is_the_figure(park, make, login_as, uncached):
    """The pager's total is the figure the rows are behind (no separate COUNT), and it agrees
    with the rows listed, filter by filter."""
    members = bulk_members(park.id, 60, start=5000, employees=3)
    bulk_events(park.id, 1, members[:55], headcount=3)  # 55 trained, all staff; 5 never
    url = f"{park.url}/coverage"
    for show, total in (("", 60), ("trained", 55), ("never", 5), ("allstaff", 55), ("allstaff_missing", 5)):
        first = text(park.admin.get(url, query_string={"year": Y, "show": show}))
        assert f"{total} in all" in first, show
        second = park.admin.get(url, query_string={"year": Y, "show": show, "page": 2})
        assert len(listed_members(park.admin.get(url, query_string={"year": Y, "show": show}))) + \
            len(listed_members(second)) == total, show


def test_coverage_figures_with_the_rows_are_the_figures(park, make, login_as, uncached):
    """The unfiltered page counts its figures beside its rows (window sums, one pass); a filtered
    page, the export and the metrics use figures(): all agree, on every page of rows."""
    members = bulk_members(park.id, 70, start=6000, employees=4)
    bulk_events(park.id, 2, members[:40], headcount=4)  # 40 trained, all staff
    add_event(park.id, date(Y, 6, 1), {members[50]: 1})  # one more trained, not all staff
    withdraw(park.id, members[69], date(Y, 3, 1))  # not active at the end of Y
    expected = figures_of(park.id, Period.year(Y))
    assert (expected.active, expected.trained, expected.all_staff) == (69, 41, 40)
    url = f"{park.url}/coverage"
    shown = [page_figures(park.admin.get(url, query_string={"year": Y, **q}))
             for q in ({}, {"page": 2}, {"page": 9}, {"show": "trained"})]
    assert shown[0] == shown[1] == shown[2] == shown[3]
    assert [shown[0][k] for k in ("active", "trained", "allstaff", "never")] == ["69", "41", "40", "28"]
