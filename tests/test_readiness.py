"""Readiness against the schemes with live data: the TJ-1 liaison rule through the metrics service,
manual declarations with evidence and reviewers' overrides, the readiness page (what is missing,
links to the rows behind each figure, enterprise schemes), nightly snapshots and the score chart,
the annual work plan (XC-3) and the dashboard (figures, readiness, plan, timeline, constant SQL).

Scheme data, scoring and the validation of scheme files are in test_schemes.py.
"""

from __future__ import annotations

import html
import io
import re
from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import load_workbook

from saas.auth.services import grant
from saas.extensions import db
from saas.files import Attachment
from saas.tenancy import Tenant, tenant_scope
from tenants.dashboard.timeline import milestones, next_due
from tenants.members.checklists import CORE_ITEMS
from tenants.members.models import ChecklistItem, Enterprise, LiaisonPerson, SurveyYear
from tenants.members.services import change_status, end_liaison, set_liaison
from tenants.metrics.service import tenant_metrics
from tenants.plans.models import AnnualPlan
from tenants.recognition.models import Recognition
from tenants.schemes.models import Declaration, ReadinessSnapshot, SchemeChoice
from tenants.training.coverage import Period
from tenants.training.models import Attendance, TrainingEvent

from .factories import credit_code_for
from .sql import statements

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
Y = date.today().year  # the dashboard, the plan and the snapshots work on the current year


# --- helpers -------------------------------------------------------------------------------------

@pytest.fixture
def park(make, login_as):
    """A park under a district bureau (English pages) with its admin logged in."""
    district = make.bureau("东湖区市场监督管理局", level="district")
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en", bureau=district)
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    return SimpleNamespace(tenant=tenant, id=tenant.id, district=district, admin=login_as("admin@example.com"),
                           url="/t/park")


@contextmanager
def reading(tenant_id):
    """Fresh reads of what the requests (own app contexts, own sessions) committed."""
    db.session.rollback()
    with tenant_scope(tenant_id):
        yield db.session


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(response) -> str:
    """The page's text: tags removed, entities decoded, whitespace collapsed."""
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text(response))))


def readiness(client, scheme="cq-park", year=Y):
    response = client.get("/t/park/readiness/", query_string={"scheme": scheme, "year": year})
    assert response.status_code == 200, response.status_code
    return response


def items(response) -> dict[str, tuple[str, str]]:
    """Item code → (status, "points / worth" for points schemes)."""
    out = {}
    for block in text(response).split('id="item-')[1:]:
        code = block.split('"', 1)[0]
        status = re.search(r'data-status="(\w+)"', block).group(1)
        points = re.search(r'<span class="ms-2">([^<]+)</span>', block)
        out[code] = (status, points.group(1).strip() if points else "")
    return out


def groups(response) -> dict[str, str]:
    return dict(re.findall(r'data-group="(\w+)">([\d.]+)', text(response)))


def score(response, element="score") -> str:
    return re.search(rf'id="{element}">\s*([^<]+?)\s*<', text(response)).group(1)


def metrics_of(tenant_id, year=Y) -> dict:
    with reading(tenant_id):
        return tenant_metrics(Period.year(year))


def add_members(make, tenant, demo=0, plain=0, prefix="企业") -> list[int]:
    """`demo` demonstration units, then `plain` liaison members, each with a liaison person."""
    return [make.enterprise(tenant, name=f"示范{prefix}{n}", status="demonstration") for n in range(demo)] + \
        [make.enterprise(tenant, name=f"联络{prefix}{n}") for n in range(plain)]


def set_status(tenant_id, enterprise_id, status):
    """"demonstration": a bureau's recognition, recorded from its certificate (valid from 1
    January, so the figures of the whole year count it)."""
    with tenant_scope(tenant_id):
        if status == "demonstration":
            from tenants.recognition.services import record_existing

            record_existing("enterprise", enterprise_id, "", f"CERT-{enterprise_id}", date(Y, 1, 1), "区局", None)
        else:
            change_status(db.session.get(Enterprise, enterprise_id), status)
        db.session.commit()


def declare(client, item, scheme="cq-park", year=Y, met=True, evidence=True, note="说明", filename="证明材料.pdf"):
    data = {"met": "1" if met else "", "note": note}
    if evidence:
        data["file"] = (io.BytesIO(PDF), filename)
    return client.post(f"/t/park/readiness/{scheme}/{year}/items/{item}", data=data,
                       content_type="multipart/form-data")


def override(client, item, points, scheme="cq-park", year=Y, note="复核意见"):
    return client.post(f"/t/park/readiness/{scheme}/{year}/items/{item}/override",
                       data={"points": str(points), "note": note})


def bulk_members(tenant_id, n, start) -> None:
    """Many active members with a liaison each, fast (no HTTP, one flush)."""
    with tenant_scope(tenant_id):
        rows = []
        for i in range(start, start + n):
            e = Enterprise(name=f"批量企业{i:06d}", credit_code=credit_code_for(i), employees=20,
                           joined_on=date(2024, 1, 1), status="liaison")
            e.liaisons.append(LiaisonPerson(name=f"联络员{i}", mobile="13800000000", started_on=date(2024, 1, 1)))
            rows.append(e)
        db.session.add_all(rows)
        db.session.flush()
        # Every 50th is a recognised demonstration unit.
        db.session.add_all(Recognition(kind="enterprise", enterprise_id=e.id, source="recorded", certificate_no=f"B{i}",
                                       recognised_on=date(2024, 1, 1))
                           for i, e in zip(range(start, start + n), rows) if i % 50 == 0)
        db.session.commit()


# --- 4. TJ-1: a member without a liaison does not count ----------------------------------------------

def test_tj1_member_without_a_liaison_does_not_count(park, make):
    """tj-base requirement 7 (its seed numbering): 5 or more liaison enterprises, each with a
    named liaison person — and members guided to the five implementations and three defences,
    here one member with all of them in place."""
    t = park.tenant
    complete, *_rest = add_members(make, t, plain=4)
    with tenant_scope(park.id):
        db.session.add_all([ChecklistItem(enterprise_id=complete, code=c, state="in_place") for c in CORE_ITEMS])
        db.session.commit()
    lonely = make.enterprise(t, name="无联络员企业", liaison=None)
    m = metrics_of(park.id)
    assert (m["active_members"], m["members_with_liaison"], m["members_without_liaison"]) == (5, 4, 1)
    page = readiness(park.admin, "tj-base")
    assert items(page)["7"][0] == "not_met"
    assert "Members with a liaison person 4, needs >= 5 — 1 more" in visible(page)

    with tenant_scope(park.id):
        set_liaison(db.session.get(Enterprise, lonely), "王联络", mobile="13900000000")
        db.session.commit()
    m = metrics_of(park.id)
    assert (m["members_with_liaison"], m["members_without_liaison"]) == (5, 0)
    assert items(readiness(park.admin, "tj-base"))["7"][0] == "met"

    # A liaison person who left no longer counts; a withdrawn member neither.
    with tenant_scope(park.id):
        end_liaison(db.session.get(Enterprise, lonely), on=date(Y, 1, 1))
        db.session.commit()
    assert metrics_of(park.id)["members_with_liaison"] == 4
    assert items(readiness(park.admin, "tj-base"))["7"][0] == "not_met"
    with tenant_scope(park.id):
        set_liaison(db.session.get(Enterprise, lonely), "李联络", on=date(Y, 1, 2))
        db.session.commit()
    assert metrics_of(park.id)["members_with_liaison"] == 5
    other = make.enterprise(t, name="迁出企业")
    with tenant_scope(park.id):
        change_status(db.session.get(Enterprise, other), "withdrawn", on=date(Y, 1, 3), reason="迁出")
        db.session.commit()
    m = metrics_of(park.id)
    assert (m["active_members"], m["members_with_liaison"]) == (5, 5)
    assert items(readiness(park.admin, "tj-base"))["7"][0] == "met"


# --- 5. manual items: evidence, overrides, who may do what -------------------------------------------

@pytest.fixture
def people(park, make, login_as):
    make.user("staff@example.com", name="园区职员", tenant=park.tenant, role="staff")
    reviewer = make.user("rev@example.com", name="区局审核员", bureau=park.district, bureau_role="reviewer")
    return SimpleNamespace(staff=login_as("staff@example.com"), reviewer=login_as("rev@example.com"),
                           reviewer_id=reviewer.id)


def declaration_of(tenant_id, item, scheme="cq-park", year=Y) -> Declaration | None:
    with reading(tenant_id) as s:
        return s.scalar(sa.select(Declaration).where(Declaration.scheme == scheme, Declaration.year == year,
                                                     Declaration.item == item))


def test_declared_without_evidence_earns_nothing(park, people):
    assert declare(park.admin, "1", evidence=False, note="已成立领导小组").status_code == 302
    page = readiness(park.admin)
    assert items(page)["1"] == ("needs_evidence", "0 / 10")
    assert groups(page)["platform"] == "0" and score(page) == "0 / 100"
    assert "Needs evidence" in visible(page) and "已成立领导小组" in visible(page)
    d = declaration_of(park.id, "1")
    assert (d.met, d.note, d.override_points) == (True, "已成立领导小组", None)

    # With an evidence file the item is met and earns its points.
    response = declare(people.staff, "1", filename="领导小组文件.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("#item-1")
    page = readiness(park.admin)
    assert items(page)["1"] == ("met", "10 / 10")
    assert groups(page)["platform"] == "10" and score(page) == "10 / 100"
    with reading(park.id) as s:
        files = list(s.scalars(sa.select(Attachment).where(Attachment.owner_type == "declaration",
                                                           Attachment.owner_id == d.id)))
    assert [f.filename for f in files] == ["领导小组文件.pdf"]

    # Unticked again: not declared, whatever the evidence.
    declare(park.admin, "1", met=False, evidence=False)
    assert items(readiness(park.admin))["1"] == ("undeclared", "0 / 10")


def test_reviewer_overrides_and_evidence_downloads(park, people, make, login_as):
    declare(park.admin, "2", filename="办公室设置.pdf")
    page = readiness(people.reviewer)
    assert items(page)["2"] == ("met", "10 / 10")
    link = re.search(rf'href="(/t/park/readiness/cq-park/{Y}/items/2/files/(\d+))"', text(page))
    assert link, "the evidence file is linked from the item"
    url, attachment_id = link.group(1), int(link.group(2))
    for client in (park.admin, people.staff, people.reviewer):
        response = client.get(url)
        assert response.status_code == 200 and response.data == PDF
    # The same file under another item's address is not found.
    assert park.admin.get(url.replace("/items/2/", "/items/1/")).status_code == 404

    # A reviewer of the jurisdiction overrides the points.
    assert override(people.reviewer, "2", 6, note="经费未单列").status_code == 302
    page = readiness(park.admin)
    assert items(page)["2"] == ("overridden", "6 / 10")
    assert "Reviewer's points: 6" in visible(page) and "经费未单列" in visible(page)
    assert groups(page)["platform"] == "6" and score(page) == "6 / 100"
    d = declaration_of(park.id, "2")
    assert (d.override_points, d.overridden_by_id, d.met) == (6, people.reviewer_id, True)
    # Not more than the item is worth.
    override(people.reviewer, "2", 11)
    assert declaration_of(park.id, "2").override_points == 6
    # An item never declared may be overridden too.
    override(people.reviewer, "3", 4)
    assert items(readiness(park.admin))["3"] == ("overridden", "4 / 10")
    # Removing the override gives the declared result back.
    override(people.reviewer, "2", "")
    assert items(readiness(park.admin))["2"] == ("met", "10 / 10")
    assert declaration_of(park.id, "2").overridden_by_id is None

    # Tenant staff and admins do not override; reviewers do not declare.
    assert override(people.staff, "1", 10).status_code == 403
    assert override(park.admin, "1", 10).status_code == 403
    assert declare(people.reviewer, "1").status_code == 403
    assert declaration_of(park.id, "1") is None
    # Automatic items and enterprise schemes take no declarations.
    assert declare(park.admin, "15").status_code == 404
    assert declare(park.admin, "b1", scheme="cq-enterprise").status_code == 404

    # A reviewer of another district does not reach the park at all.
    elsewhere = make.bureau("江岸区市场监督管理局", level="district")
    make.user("far@example.com", bureau=elsewhere, bureau_role="reviewer")
    far = login_as("far@example.com")
    assert far.get("/t/park/readiness/").status_code == 404
    assert override(far, "2", 1).status_code == 404

    # Another tenant: neither through the park's address nor through its own.
    other = make.tenant(slug="other", name="其他园区", default_locale="en")
    make.user("other@example.com", tenant=other, role="admin")
    stranger = login_as("other@example.com")
    assert stranger.get(url).status_code == 404
    stranger.post(f"/t/other/readiness/cq-park/{Y}/items/2", data={"met": "1", "file": (io.BytesIO(PDF), "x.pdf")},
                  content_type="multipart/form-data")
    assert stranger.get(f"/t/other/readiness/cq-park/{Y}/items/2/files/{attachment_id}").status_code == 404
    with reading(other.id) as s:
        own = s.scalar(sa.select(Attachment.id).where(Attachment.owner_type == "declaration"))
    assert own is not None and own != attachment_id
    assert stranger.get(f"/t/other/readiness/cq-park/{Y}/items/2/files/{own}").status_code == 200
    assert park.admin.get(f"/t/park/readiness/cq-park/{Y}/items/2/files/{own}").status_code == 404


def test_enterprise_users_do_not_see_readiness(park, make, login_as):
    eid = make.enterprise(park.tenant, name="星辰科技")
    user = make.user("ent@example.com", name="企业联络员")
    grant(user, park.tenant, "enterprise", eid)
    db.session.commit()
    client = login_as("ent@example.com")
    assert client.get("/t/park/readiness/").status_code == 403
    assert declare(client, "1").status_code == 403


# --- 2. (through the pages) the platform group is capped at 25 ----------------------------------------

def test_platform_group_fully_met_gives_25(park):
    for item in ("1", "2", "3", "4"):
        declare(park.admin, item)
    page = readiness(park.admin)
    assert [items(page)[c] for c in ("1", "2", "3", "4")] == [("met", "10 / 10")] * 4
    assert groups(page)["platform"] == "25"
    assert "items sum to 40; the group cap applies" in visible(page)
    assert score(page) == "25 / 100"


# --- 7. the readiness page ----------------------------------------------------------------------------

def test_readiness_page_shows_what_is_missing_and_links_to_the_rows(park, make):
    demo = add_members(make, park.tenant, demo=3, plain=2)
    page = readiness(park.admin)
    shown = visible(page)
    assert score(page) == "5 / 100"
    assert items(page)["14"] == ("met", "5 / 5")
    assert items(page)["15"] == ("not_met", "0 / 10")
    assert groups(page) == {"platform": "0", "station": "0", "instructors": "0", "units": "5", "standards": "0"}
    assert "Missing: Demonstration units 3, needs >= 5 — 2 more" in shown
    assert "Missing: Guidance stations 0, needs >= 1 — 1 more" in shown
    assert "Does not pass yet" not in shown  # the park standard has no pass mark

    # Each figure links to the rows behind it.
    link = re.search(r'<a href="([^"]+)">3</a>', text(page))
    assert link and html.unescape(link.group(1)) == f"/t/park/units/?year={Y}"
    assert '<a href="/t/park/members/?status=active&amp;liaison=yes">5</a>' in text(page)
    units = text(park.admin.get(html.unescape(link.group(1))))
    names = re.findall(r'<a href="/t/park/units/recognitions/\d+">([^<]+)</a>', units)
    assert sorted(names) == ["示范企业0", "示范企业1", "示范企业2"]

    # Two more demonstration units: item 15 is met.
    set_status(park.id, demo[3], "demonstration")
    set_status(park.id, demo[4], "demonstration")
    page = readiness(park.admin)
    assert items(page)["15"] == ("met", "10 / 10")
    assert groups(page)["units"] == "15" and score(page) == "15 / 100"
    assert "Demonstration units 5, needs" not in visible(page)

    # A year before anyone joined: nothing met, and the scheme defaults to the park standard.
    assert score(readiness(park.admin, year=2023)) == "0 / 100"
    assert "Chongqing park standard" in visible(park.admin.get("/t/park/readiness/"))
    assert park.admin.get("/t/park/readiness/", query_string={"scheme": "nope"}).status_code == 404


def test_links_show_the_rows_of_the_pages_year(park, make):
    """A figure of last year links to last year's rows (DOMAIN: a click shows the rows that make it up)."""
    trained, _other = add_members(make, park.tenant, plain=2)
    with tenant_scope(park.id):
        db.session.add(TrainingEvent(title="去年的培训", kind="training", held_on=date(Y - 1, 5, 10), hours=2,
                                     attendance=[Attendance(enterprise_id=trained, headcount=5)]))
        db.session.commit()
    page = readiness(park.admin, "wh-station", Y - 1)
    assert "Served enterprises trained (not counting their own internal training) 1, needs >= 30 — 29 more" \
        in visible(page)
    link = re.search(r'<a href="(/t/park/training/coverage\?[^"]*show=trained[^"]*)">1</a>', text(page))
    assert link, "the trained-enterprises figure links to the coverage page"
    behind = park.admin.get(html.unescape(link.group(1)))
    rows = re.findall(r'<td><a href="/t/[^/]+/training/\?[^"]*enterprise=\d+[^"]*">([^<]+)</a></td>', text(behind))
    assert rows == ["联络企业0"], rows


def test_members_with_rules_links_to_those_members(park, make):
    has_rules, *_rest = add_members(make, park.tenant, plain=3)
    with tenant_scope(park.id):
        db.session.add(ChecklistItem(enterprise_id=has_rules, code="five.rules", state="in_place"))
        db.session.add(ChecklistItem(enterprise_id=has_rules, code="ruleset.leak_emergency_plan", state="in_place"))
        db.session.commit()
    page = readiness(park.admin, "xc-zone")
    assert items(page)["3"][0] == "undeclared"  # the zone's own rules are declared with evidence
    link = re.search(r'id="item-3".*?<a href="([^"]+)">1</a>', text(page), re.S)
    assert link, "the members-with-rules figure is a link"
    names = re.findall(r'<a href="/t/park/members/\d+">([^<]+)</a>', text(park.admin.get(html.unescape(link.group(1)))))
    assert names == ["联络企业0"], names


def test_a_criterion_overridden_to_zero_is_not_met(park, make, login_as):
    """Criteria schemes: a reviewer's 0 means the criterion does not hold."""
    make.user("rev@example.com", bureau=park.district, bureau_role="reviewer")
    reviewer = login_as("rev@example.com")
    declare(park.admin, "1", scheme="xc-zone")
    assert items(readiness(park.admin, "xc-zone"))["1"][0] == "met"
    assert score(readiness(park.admin, "xc-zone")).startswith("1 / 5")
    assert override(reviewer, "1", 0, scheme="xc-zone").status_code == 302
    page = readiness(park.admin, "xc-zone")
    assert items(page)["1"][0] == "overridden"
    assert score(page).startswith("0 / 5")
    override(reviewer, "1", 1, scheme="xc-zone")
    assert score(readiness(park.admin, "xc-zone")).startswith("1 / 5")


def test_a_refused_evidence_file_is_not_stored(park):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4
    response = park.admin.post(f"/t/park/readiness/cq-park/{Y}/items/1", data={
        "met": "1", "file": (io.BytesIO(exe), "证明.pdf")}, content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert items(response)["1"][1] == "0 / 10"
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(Attachment.id))) == 0


def test_criteria_scheme_page(park, make):
    add_members(make, park.tenant, demo=2, plain=1)
    page = readiness(park.admin, "wh-station")
    st = {code: s for code, (s, _p) in items(page).items()}
    assert st["9"] == "met" and st["1"] == "not_met" and st["3"] == "not_met"
    assert st["4"] == "undeclared"
    # Nobody trained: 0 of 3 members; the ratio has no "n more", 30 enterprises is 30 more.
    shown = visible(page)
    assert "Ratio of served enterprises trained 0.0%, needs > 50.0%" in shown
    assert "Served enterprises trained (not counting their own internal training) 0, needs >= 30 — 30 more" in shown
    assert score(page).startswith("1 / 10")


def test_enterprise_scheme_shows_how_many_members_would_pass(park, make):
    t = park.tenant
    passing = make.enterprise(t, name="甲达标企业")
    almost = make.enterprise(t, name="乙差一项企业")
    make.enterprise(t, name="丙起步企业")
    codes = ["five.organisation", "five.personnel", "five.premises", "five.rules", "five.measures",
             "ruleset.annual_plan", "ruleset.leak_emergency_plan", "ruleset.rewards_penalties"]
    with tenant_scope(park.id):
        for eid in (passing, almost):
            db.session.add_all([ChecklistItem(enterprise_id=eid, code=c, state="in_place") for c in codes])
        # Item 6 also needs "no infringement of others": known for the first only.
        db.session.add(SurveyYear(enterprise_id=passing, year=Y, incidents_caused=0))
        db.session.commit()
    page = park.admin.get("/t/park/readiness/", query_string={"scheme": "cq-enterprise", "year": Y})
    assert page.status_code == 200
    assert score(page, "passing") == "1 / 3"
    rows = re.findall(r"<td>([^<]+)</td><td class=\"text-end\">([^<]+)</td>", text(page))
    assert [(n, s.strip()) for n, s in rows] == [("甲达标企业", "80 / 100"), ("乙差一项企业", "60 / 100"),
                                                 ("丙起步企业", "0 / 100")]
    assert visible(page).count("Passes") == 1


# --- 8. snapshots ------------------------------------------------------------------------------------

def snapshots(tenant_id) -> list[tuple[str, int, date, float]]:
    with reading(tenant_id) as s:
        return [(r.scheme, r.year, r.day, r.score) for r in
                s.scalars(sa.select(ReadinessSnapshot).order_by(ReadinessSnapshot.scheme))]


def test_nightly_snapshot_command(app, park, make):
    add_members(make, park.tenant, demo=5)
    response = park.admin.post("/t/park/readiness/schemes", data={"scheme": ["cq-park", "wh-station", "bogus"]})
    assert response.status_code == 302
    with reading(park.id) as s:
        assert sorted(s.scalars(sa.select(SchemeChoice.code))) == ["cq-park", "wh-station"]
    second = make.tenant(slug="second", name="第二园区")  # nothing chosen: its default scheme
    suspended = make.tenant(slug="dormant", name="停用园区")
    db.session.get(Tenant, suspended.id).status = "suspended"
    db.session.commit()

    runner = app.test_cli_runner()
    result = runner.invoke(args=["readiness", "snapshot"])
    assert result.exit_code == 0, result.output
    assert "3 scores recorded" in result.output
    today = date.today()
    assert snapshots(park.id) == [("cq-park", Y, today, 15.0), ("wh-station", Y, today, 1.0)]
    assert snapshots(second.id) == [("cq-park", Y, today, 0.0)]
    assert snapshots(suspended.id) == []

    # Twice the same day: the same rows, refreshed (a plan now exists: WH-2 item 3).
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form())
    result = runner.invoke(args=["readiness", "snapshot"])
    assert result.exit_code == 0 and "3 scores recorded" in result.output
    assert snapshots(park.id) == [("cq-park", Y, today, 15.0), ("wh-station", Y, today, 2.0)]
    assert len(snapshots(second.id)) == 1
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(ReadinessSnapshot.id))) == 2


def test_score_over_time_chart_needs_two_snapshots(app, park, make):
    add_members(make, park.tenant, demo=5)
    assert app.test_cli_runner().invoke(args=["readiness", "snapshot"]).exit_code == 0
    page = text(readiness(park.admin))
    chart = r'<img class="w-100 chart"[^>]+src="data:image/svg\+xml[^"]*"[^>]*>'  # not the gauge: its own class
    assert not re.findall(chart, page) and '<img class="gauge"' in page
    with tenant_scope(park.id):
        db.session.add(ReadinessSnapshot(scheme="cq-park", year=Y, day=date.today() - timedelta(days=1), score=5,
                                         maximum=100, passed=None))
        db.session.commit()
    page = text(readiness(park.admin))
    charts = re.findall(chart, page)
    assert len(charts) == 1 and 'alt="Score over time"' in charts[0]
    # Another scheme's history is its own.
    assert not re.findall(chart, text(readiness(park.admin, "wh-station")))


# --- 9. the annual work plan ---------------------------------------------------------------------------

def plan_form(**changes) -> dict:
    data = {"training_ratio_target": "60", "publicity_events_target": "4", "demonstration_target": "6",
            "rules_ratio_target": "70", "key_tasks": "完善联系企业名录；每季度专题培训", "budget": "专项经费 30 万元",
            "schedule": "3 月培训；12 月总结", "t_name": ["指导站服务次数", "成员单位", ""],
            "t_unit": ["次", "家", ""], "t_target": ["60", "5", ""], "t_metric": ["service_logs", "active_members", ""]}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


PLAN_FIELDS = ("training_ratio_target", "publicity_events_target", "demonstration_target", "rules_ratio_target",
               "key_tasks", "budget", "schedule")


def plan_of(tenant_id, year=Y) -> SimpleNamespace | None:
    """The stored plan of `year` as plain values (read in scope), or None."""
    with reading(tenant_id) as s:
        plan = s.scalar(sa.select(AnnualPlan).where(AnnualPlan.year == year))
        if plan is None:
            return None
        return SimpleNamespace(**{f: getattr(plan, f) for f in PLAN_FIELDS}, targets=[
            SimpleNamespace(id=t.id, name=t.name, unit=t.unit, target=t.target, metric=t.metric)
            for t in plan.targets])


def progress_rows(response) -> dict[str, tuple[str, str, bool]]:
    """Target name → (target, actual, reached) from the plan page."""
    assert response.status_code == 200
    out = {}
    for row in re.findall(r"<tr>\s*<td>(.*?)</tr>", text(response), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", "<td>" + row, re.S)
        out[html.unescape(cells[0])] = (cells[1].strip(), cells[2].strip(), "Reached" in cells[3])
    return out


def test_plan_targets_and_live_progress(park, make):
    demo = add_members(make, park.tenant, demo=5, plain=1)
    response = park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/plans/{Y}")
    plan = plan_of(park.id)
    assert (plan.training_ratio_target, plan.publicity_events_target, plan.demonstration_target,
            plan.rules_ratio_target) == (60, 4, 6, 70)
    assert (plan.key_tasks, plan.budget) == ("完善联系企业名录；每季度专题培训", "专项经费 30 万元")
    assert [(t.name, t.unit, t.target, t.metric) for t in plan.targets] == [
        ("指导站服务次数", "次", 60, "service_logs"), ("成员单位", "家", 5, "active_members")]

    rows = progress_rows(park.admin.get(f"/t/park/plans/{Y}"))
    assert rows["Demonstration enterprises"] == ("6", "5", False)
    assert rows["Training ratio of member units"] == ("60%", "0%", False)
    assert rows["Members with protection rules"] == ("70%", "0%", False)
    assert rows["Legal publicity events"] == ("4", "0", False)
    assert rows["指导站服务次数"] == ("60次", "0次", False)
    assert rows["成员单位"] == ("5家", "6家", True)

    set_status(park.id, demo[5], "demonstration")
    rows = progress_rows(park.admin.get(f"/t/park/plans/{Y}"))
    assert rows["Demonstration enterprises"] == ("6", "6", True)

    # Saving again replaces the free targets; an empty XC target is cleared.
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form(rules_ratio_target="", t_name=["仅此一项"],
                                                               t_unit=[""], t_target=["3"], t_metric=[""]))
    plan = plan_of(park.id)
    assert plan.rules_ratio_target is None
    assert [(t.name, t.target, t.metric) for t in plan.targets] == [("仅此一项", 3, "")]
    # A free target that is not a number is refused and nothing changes.
    response = park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form(t_name=["坏目标"], t_unit=[""],
                                                                         t_target=["很多"], t_metric=[""]))
    assert response.status_code == 422
    assert [t.name for t in plan_of(park.id).targets] == ["仅此一项"]


def test_xc_zone_plan_item_needs_the_four_targets(park):
    assert items(readiness(park.admin, "xc-zone"))["4"][0] == "not_met"
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form(publicity_events_target=""))
    assert items(readiness(park.admin, "xc-zone"))["4"][0] == "not_met"
    assert items(readiness(park.admin, "wh-station"))["3"][0] == "met"  # a plan exists
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form())
    assert items(readiness(park.admin, "xc-zone"))["4"][0] == "met"
    # Last year's plan has its own year.
    assert items(readiness(park.admin, "xc-zone", Y - 1))["4"][0] == "not_met"


def test_copy_last_years_plan(park):
    park.admin.post(f"/t/park/plans/{Y - 1}/edit", data=plan_form(demonstration_target="3"))
    show = park.admin.get(f"/t/park/plans/{Y}")
    assert f"Start from the {Y - 1} plan" in visible(show)
    response = park.admin.post(f"/t/park/plans/{Y}/copy")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/plans/{Y}/edit")
    plan = plan_of(park.id)
    assert (plan.training_ratio_target, plan.publicity_events_target, plan.demonstration_target,
            plan.rules_ratio_target) == (60, 4, 3, 70)
    assert (plan.key_tasks, plan.budget, plan.schedule) == ("完善联系企业名录；每季度专题培训", "专项经费 30 万元",
                                                            "3 月培训；12 月总结")
    assert [(t.name, t.unit, t.target, t.metric) for t in plan.targets] == [
        ("指导站服务次数", "次", 60, "service_logs"), ("成员单位", "家", 5, "active_members")]
    previous = plan_of(park.id, Y - 1)
    assert {t.id for t in plan.targets}.isdisjoint({t.id for t in previous.targets})

    # A plan exists: copying again changes nothing.
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form(demonstration_target="8", key_tasks="新的重点任务"))
    response = park.admin.post(f"/t/park/plans/{Y}/copy", follow_redirects=True)
    assert f"There is already a plan for {Y}" in visible(response)
    plan = plan_of(park.id)
    assert (plan.demonstration_target, plan.key_tasks) == (8, "新的重点任务")
    with reading(park.id) as s:
        assert s.scalar(sa.select(sa.func.count(AnnualPlan.id))) == 2


def test_copy_with_no_plan_last_year_creates_nothing(park):
    """Nothing to copy: no empty plan may appear (it would count as "an annual work plan", WH-2)."""
    park.admin.post(f"/t/park/plans/{Y}/copy")
    assert plan_of(park.id) is None
    assert items(readiness(park.admin, "wh-station"))["3"][0] == "not_met"


def test_plan_export(park, make):
    add_members(make, park.tenant, demo=5)
    assert park.admin.get(f"/t/park/plans/{Y}/export.xlsx").status_code == 404
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form())
    response = park.admin.get(f"/t/park/plans/{Y}/export.xlsx")
    assert response.status_code == 200
    rows = [tuple(c for c in row) for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)]
    assert rows[1] == ("Target", "Unit", "Target value", "Actual", "Reached")
    body = {r[0]: (r[1] or "", *r[2:]) for r in rows[2:] if r and r[0]}
    assert body["Demonstration enterprises"] == ("", 6, 5, "no")
    assert body["Training ratio of member units"] == ("%", 60, 0, "no")
    assert body["指导站服务次数"] == ("次", 60, 0, "no")
    assert body["成员单位"] == ("家", 5, 5, "yes")
    assert rows[0][0] == f"示范园区 — annual work plan {Y}"
    assert body["Key tasks"][0] == "完善联系企业名录；每季度专题培训"
    assert body["Budget"][0] == "专项经费 30 万元"


def test_plan_permissions(park, make, login_as):
    make.user("rev@example.com", bureau=park.district, bureau_role="reviewer")
    reviewer = login_as("rev@example.com")
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form())
    assert reviewer.get(f"/t/park/plans/{Y}").status_code == 200
    assert reviewer.post(f"/t/park/plans/{Y}/edit", data=plan_form(demonstration_target="1")).status_code == 403
    assert plan_of(park.id).demonstration_target == 6


# --- 10. the dashboard ----------------------------------------------------------------------------------

def figures(response) -> dict[str, str]:
    assert response.status_code == 200, response.status_code
    found = re.findall(r'data-figure="(\w+)">(.*?)</div>', text(response), re.S)
    return {name: re.sub(r"<[^>]+>", "", inner).strip() for name, inner in found}


def test_dashboard(park, make):
    add_members(make, park.tenant, demo=3, plain=1)
    make.enterprise(park.tenant, name="无联络员企业", liaison=None)
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form())
    response = park.admin.get("/t/park/")
    shown = visible(response)
    assert figures(response) == {"active_members": "5", "members_with_liaison": "4", "demonstration_units": "3",
                                 "trained_enterprise_ratio": "0.0%", "visit_coverage_ratio": "0.0%",
                                 "overdue_follow_ups": "0"}
    page = text(response)
    assert re.search(rf'data-figure="demonstration_units"><a href="/t/park/units/\?year={Y}">3</a>', page)
    assert re.search(r'data-figure="active_members"><a href="/t/park/members/\?status=active">5</a>', page)
    assert "3 of the 5 needed" in shown
    # Readiness against the default scheme (the park standard): item 14 only.
    assert score(response, "readiness-score").startswith("5 / 100")
    assert 'href="/t/park/readiness/?scheme=cq-park"' in page
    # Plan progress.
    assert "Demonstration enterprises: 3 / 6" in shown
    assert "成员单位: 5家 / 5家 Reached" in shown
    # The timeline and what is due next.
    due = min(m.end for m in _expected_milestones(Y) if m.end >= date.today())
    expected = {m.title for m in _expected_milestones(Y) if m.end == due}
    nxt = re.search(r"Next: (.*?) \(", shown)
    assert nxt and nxt.group(1).strip() in expected, shown
    assert len(re.findall(r"<li", page.split('id="timeline"')[1].split("</ul>")[0])) == 6

    # Two more demonstration units: 5 of 5.
    add_members(make, park.tenant, demo=2, prefix="新")
    response = park.admin.get("/t/park/")
    assert figures(response)["demonstration_units"] == "5"
    assert "5 of the 5 needed" in visible(response)
    assert score(response, "readiness-score").startswith("15 / 100")
    assert "Demonstration enterprises: 5 / 6" in visible(response)


def _expected_milestones(year):
    """The year's dates from the source rules (TJ-6, CQ-3, CQ-4), written out independently."""
    M = SimpleNamespace
    return [M(end=date(year, 4, 30), title="Acceptance of last year's bases, with the work report"),
            M(end=date(year, 6, 15), title="Application window (May to mid-June)"),
            M(end=date(year, 6, 10), title="Application deadline in Chongqing"),
            M(end=date(year, 6, 15), title="Half-year progress report"),
            M(end=date(year, 12, 31), title="Guidance period"),
            M(end=date(year, 12, 15), title="Year-end progress report")]


@pytest.mark.parametrize("today, title", [
    (date(2026, 1, 10), "Acceptance of last year's bases, with the work report"),
    (date(2026, 5, 20), "Application deadline in Chongqing"),
    (date(2026, 6, 10), "Application deadline in Chongqing"),
    (date(2026, 11, 21), "Year-end progress report"),
    (date(2026, 12, 16), "Guidance period"),
])
def test_timeline_next_due(app, today, title):
    with app.test_request_context(), force_locale("en"):
        items_ = milestones(2026)
        assert [(m.source, m.start, m.end) for m in items_ if m.source != "TJ-6"] == [
            ("CQ-3", date(2026, 6, 10), date(2026, 6, 10)), ("CQ-4", date(2026, 6, 15), date(2026, 6, 15)),
            ("CQ-4", date(2026, 12, 15), date(2026, 12, 15))]
        assert next_due(items_, today).title == title
        assert next_due(items_, date(2027, 1, 1)) is None
        guidance = next(m for m in items_ if m.title == "Guidance period")
        assert (guidance.start, guidance.end) == (date(2026, 7, 1), date(2026, 12, 31))
        assert [guidance.state(d) for d in (date(2026, 6, 30), date(2026, 7, 1), date(2027, 1, 1))] == [
            "future", "now", "past"]


def test_dashboard_sql_does_not_grow_with_members(park, make, uncached):
    park.admin.post(f"/t/park/plans/{Y}/edit", data=plan_form())
    declare(park.admin, "1")
    bulk_members(park.id, 10, start=200_000)
    assert park.admin.get("/t/park/").status_code == 200  # warm-up
    with statements() as small:
        response = park.admin.get("/t/park/")
    assert figures(response)["active_members"] == "10"
    bulk_members(park.id, 1990, start=300_000)
    with statements() as large:
        response = park.admin.get("/t/park/")
    assert figures(response)["active_members"] == "2000"
    demo = sum(1 for i in [*range(200_000, 200_010), *range(300_000, 301_990)] if i % 50 == 0)
    assert figures(response)["demonstration_units"] == str(demo)
    assert len(small) > 5
    assert len(small) == len(large), (len(small), len(large))


def test_enterprise_users_dashboard_is_their_own(park, make, login_as):
    eid = make.enterprise(park.tenant, name="星辰科技")
    add_members(make, park.tenant, demo=3)
    user = make.user("ent@example.com", name="企业联络员")
    grant(user, park.tenant, "enterprise", eid)
    db.session.commit()
    client = login_as("ent@example.com")
    response = client.get("/t/park/")
    assert response.status_code == 200
    page = text(response)
    assert "data-figure" not in page and "readiness-score" not in page
    assert "of the 5 needed" not in page
    assert "/t/park/members/mine" in page
    assert client.get(f"/t/park/plans/{Y}").status_code == 403


def test_plan_year_links_stay_within_the_years_a_plan_may_have(park):
    links = lambda year: set(re.findall(r'href="/t/park/plans/(\d+)"', text(park.admin.get(f"/t/park/plans/{year}"))))
    assert links(Y) == {str(Y - 1), str(Y + 1)}
    assert links(2000) == {"2001"} and links(2100) == {"2099"}
    assert park.admin.get("/t/park/plans/1999").status_code == 404
    assert park.admin.get("/t/park/plans/2101").status_code == 404


# --- the readiness page from the tenant cache ---------------------------------------------------

def publicity_shown(response) -> str:
    """Item 7's publicity events figure (a link to the publicity events)."""
    block = text(response).split('id="item-7"')[1].split('id="item-8"')[0]
    return re.search(r'kind=publicity[^"]*">([^<]+)</a>', block).group(1).strip()


def test_readiness_is_served_from_the_cache_and_a_new_attendance_shows_at_once(park, make):
    member = make.enterprise(park.tenant, name="宣传企业")
    assert publicity_shown(readiness(park.admin)) == "0"
    with statements() as hit:
        again = readiness(park.admin)
    assert len(hit) == 1 and "membership" in hit[0], hit  # the request's own lookup: nothing computed
    assert publicity_shown(again) == "0"

    with tenant_scope(park.id):  # as a job or another worker would: straight into the database
        db.session.add(TrainingEvent(title="普法宣传", kind="publicity", held_on=date.today(), hours=1,
                                     attendance=[Attendance(enterprise_id=member, headcount=3)]))
        db.session.commit()
    assert publicity_shown(readiness(park.admin)) == "1"


def test_cached_readiness_forms_carry_each_visitors_own_csrf_token(app, park, make, login_as):
    """The page is kept whole with its forms, but their token is filled per request: each visitor
    posts with their own (CSRF protection on, as in production)."""
    make.user("staff@example.com", name="园区工作人员", tenant=park.tenant, role="admin")
    other = login_as("staff@example.com")
    tokens = lambda response: set(re.findall(r'name="csrf_token"[^>]* value="([^"]+)"', text(response)))  # noqa: E731
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for _ in range(2):  # computed, then from the cache
            mine, theirs = tokens(readiness(park.admin)), tokens(readiness(other))
            assert len(mine) == 1 and len(theirs) == 1 and mine != theirs
            assert not any(t.startswith("csrf-") for t in mine | theirs)  # never the stand-in
        response = park.admin.post(f"/t/park/readiness/cq-park/{Y}/items/3",
                                   data={"met": "1", "note": "已制定", "csrf_token": mine.pop()})
        assert response.status_code == 302, response.status_code
        refused = park.admin.post(f"/t/park/readiness/cq-park/{Y}/items/3", data={"met": "1", "note": "x"})
        assert refused.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert items(readiness(park.admin))["3"][0] == "needs_evidence"  # the declaration shows at once


def test_readiness_page_sql_does_not_grow_with_members(park, make, uncached):
    bulk_members(park.id, 10, start=400_000)
    readiness(park.admin)  # warm-up
    with statements() as small:
        readiness(park.admin)
    bulk_members(park.id, 400, start=500_000)
    with statements() as large:
        response = readiness(park.admin)
    assert items(response)["14"][0] == "met"  # the 410 members with a liaison, computed
    assert len(small) > 5
    assert len(small) == len(large), (len(small), len(large))
