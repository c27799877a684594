"""The bureau roll-up (issue 21): the jurisdiction as a tree with dated totals at each level,
per-base figures that are the metrics service's own (one source of truth), targets, the CQ-4
indicators of a district, drill-down, the .xlsx export, isolation and constant SQL."""

from __future__ import annotations

import io
import itertools
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.applications.models import Application, ApplicationEvent
from tenants.bureau.indicators import CODES
from tenants.bureau.models import BureauTarget, DistrictIndicator
from tenants.bureau.rollup import FIGURES, METRIC_OF, rollup
from tenants.members.models import Enterprise, LiaisonPerson
from tenants.metrics.service import tenant_metrics
from tenants.recognition.models import Recognition
from tenants.reports.models import PeriodicReport
from tenants.stations.models import Station
from tenants.training.coverage import Period
from tenants.training.models import Attendance, TrainingEvent

from .factories import credit_code_for
from .sql import statements

Y = 2025
_codes = itertools.count(500)


def populate(tenant_id: int, n: int, *, recognised_on: date | None = None, revoked_on: datetime | None = None):
    """A base with varied members: some joined late, withdrawn, without a liaison (or with one who
    left, or came later), adopted the standard late, recognised (one expired), trained by the base
    or only internally; stations (one closed); reports on time and late; its own recognition."""
    with tenant_scope(tenant_id):
        members = []
        for i in range(n):
            joined = date(Y, 3, 1) if i % 5 else date(Y + 1, 2, 1)  # every 5th joined after the year
            e = Enterprise(name=f"企业{tenant_id}-{i}", credit_code=credit_code_for(next(_codes)), employees=10 + i,
                           joined_on=joined, status="withdrawn" if i % 7 == 3 else "liaison",
                           withdrawn_on=date(Y, 6, 30) if i % 7 == 3 else None,
                           adopted_standard=i % 2 == 0, adopted_on=date(Y, 5, 1) if i % 4 == 0 else date(Y + 1, 1, 5))
            if i % 3 == 0:
                e.liaisons.append(LiaisonPerson(name="联络员", started_on=date(Y, 1, 1)))
            elif i % 3 == 1:  # left before the year's end, or came only the next year
                e.liaisons.append(LiaisonPerson(name="前任", started_on=date(Y, 1, 1),
                                                ended_on=date(Y, 11, 1) if i % 2 else None))
                if not i % 2:
                    e.liaisons[-1].started_on = date(Y + 1, 1, 2)
            members.append(e)
        db.session.add_all(members)
        db.session.flush()
        for i, e in enumerate(members):
            if i % 4 == 1:
                db.session.add(Recognition(kind="enterprise", enterprise_id=e.id, source="recorded",
                                           certificate_no=f"R{e.id}", recognised_on=date(Y, 2, 1),
                                           valid_until=date(Y, 10, 1) if i % 8 == 5 else None))
        trained = [Attendance(enterprise_id=e.id, headcount=3) for i, e in enumerate(members) if i % 3 != 2]
        if trained:
            db.session.add(TrainingEvent(title="基地培训", held_on=date(Y, 4, 1), hours=2, organiser="base",
                                         attendance=trained))
        if members:
            db.session.add(TrainingEvent(title="内训", held_on=date(Y, 5, 1), hours=1, organiser="enterprise",
                                         organiser_enterprise_id=members[-1].id,
                                         attendance=[Attendance(enterprise_id=members[-1].id, headcount=4)]))
            db.session.add(TrainingEvent(title="往年培训", held_on=date(Y - 1, 5, 1), hours=1, organiser="base",
                                         attendance=[Attendance(enterprise_id=members[0].id, headcount=4)]))
        db.session.add_all([Station(name=f"站{k}", active=k < n % 3 + 1) for k in range(n % 3 + 2)])
        db.session.add_all([
            PeriodicReport(kind="half_year", year=Y, period_start=date(Y, 1, 1), period_end=date(Y, 6, 30),
                           due_on=date(Y, 6, 15), status="accepted", first_submitted_at=datetime(Y, 6, 10, 9)),
            PeriodicReport(kind="year_end", year=Y, period_start=date(Y, 1, 1), period_end=date(Y, 12, 31),
                           due_on=date(Y, 12, 15), status="submitted",
                           first_submitted_at=datetime(Y, 12, 20 if n % 2 else 14, 9))])
        if recognised_on:
            application = Application(scheme="cq-park", year=recognised_on.year, sections={}, version=1,
                                      status="revoked" if revoked_on else "recognised", recognised_on=recognised_on,
                                      certificate_no="CQ-1")
            db.session.add(application)
            db.session.flush()
            if revoked_on:
                db.session.add(ApplicationEvent(application_id=application.id, from_status="recognised",
                                                to_status="revoked", created_at=revoked_on))
        db.session.commit()


@pytest.fixture
def world(app, make):
    """A province over a city with two districts (two bases, one base) and a base right under
    the city; another city elsewhere with its own base."""
    from types import SimpleNamespace

    province = make.bureau("省局", level="province")
    city = make.bureau("市局", level="city", parent=province)
    d1 = make.bureau("甲区局", level="district", parent=city)
    d2 = make.bureau("乙区局", level="district", parent=city)
    other = make.bureau("外市局", level="city")
    tenants = {
        "a1": make.tenant(slug="a1", name="甲一园区", bureau=d1),
        "a2": make.tenant(slug="a2", name="甲二园区", bureau=d1),
        "b1": make.tenant(slug="b1", name="乙一园区", bureau=d2),
        "c1": make.tenant(slug="c1", name="市直协会", bureau=city, kind="association"),
        "x1": make.tenant(slug="x1", name="外地园区", bureau=other),
    }
    populate(tenants["a1"].id, 9, recognised_on=date(Y, 3, 1))
    populate(tenants["a2"].id, 14, recognised_on=date(Y, 3, 1), revoked_on=datetime(Y, 9, 1))
    populate(tenants["b1"].id, 6, recognised_on=date(Y + 1, 3, 1))  # recognised only the next year
    populate(tenants["c1"].id, 4)
    populate(tenants["x1"].id, 8, recognised_on=date(Y, 3, 1))
    make.user("prov@example.com", bureau=province, bureau_role="reviewer")
    make.user("city@example.com", bureau=city, bureau_role="reviewer")
    make.user("d1@example.com", bureau=d1, bureau_role="reviewer")
    make.user("d2@example.com", bureau=d2, bureau_role="reviewer")
    make.user("other@example.com", bureau=other, bureau_role="reviewer")
    return SimpleNamespace(province=province.id, city=city.id, d1=d1.id, d2=d2.id, other=other.id,
                           tenants={k: t.id for k, t in tenants.items()}, slugs={k: t.slug for k, t in tenants.items()})


def test_every_base_row_is_what_its_own_metrics_say(app, world):
    tree = rollup(world.province, Y)
    bases = [line for line in tree.lines if line.row is not None]
    assert {line.row.tenant.slug for line in bases} == {"a1", "a2", "b1", "c1"}
    checked = 0
    for line in bases:
        with tenant_scope(line.row.tenant.id):
            m = tenant_metrics(Period.year(Y))
        for figure, metric in METRIC_OF.items():
            assert line.figures[figure] == m[metric], (line.name, figure)
            checked += 1
        assert m["active_members"] > 0 and m["trained_enterprises"] > 0  # not trivially equal
    assert checked == 4 * len(METRIC_OF)
    by = {line.row.tenant.slug: line.figures for line in bases}
    # The figures are dated: members who joined after the year, left, or had no liaison on its
    # last day do not count; the standard adopted the next year neither.
    a1 = by["a1"]
    assert a1["active_members"] == 6  # 9 members, 2 joined the next year (0, 5), 1 withdrawn (3)
    assert a1["liaison_enterprises"] == 1  # of the active: 6 only (1 and 7: ended in November; 4: from next year)
    assert by["a1"]["bases"] == 1 and by["a2"]["bases"] == 0 and by["b1"]["bases"] == 0  # revoked; later
    assert (a1["reports_on_time"], a1["reports_due"]) == (1, 2) and by["a2"]["reports_on_time"] == 2


def test_tree_totals_are_the_sums_of_their_children(app, world):
    tree = rollup(world.province, Y)
    assert [(line.depth, line.level, line.name) for line in tree.lines] == [
        (0, "province", "省局"), (1, "city", "市局"), (2, "district", "乙区局"), (3, "base", "乙一园区"),
        (2, "district", "甲区局"), (3, "base", "甲一园区"), (3, "base", "甲二园区"), (2, "base", "市直协会")]
    for node in tree.nodes.values():
        for f in FIGURES:
            parts = [c.figures[f] for c in node.children] + [ln.figures[f] for ln in tree.lines
                                                              if ln.row is not None and ln.row.tenant.bureau_id == node.id]
            assert node.figures[f] == sum(parts), (node.name, f)
    assert tree.root.figures["bases"] == 1 and tree.root.tenants == 4
    assert tree.root.figures == tree.nodes[world.city].figures
    # The other city's base is nowhere in it.
    assert "外地园区" not in [line.name for line in tree.lines]


def test_constant_sql_for_two_and_six_bases(app, make):
    city = make.bureau("常量市局", level="city")
    districts = [make.bureau(f"常量{i}区局", level="district", parent=city) for i in range(2)]

    def count():
        with statements() as seen:
            rollup(city.id, Y)
        return len(seen)

    for i in range(2):
        populate(make.tenant(slug=f"k{i}", bureau=districts[i]).id, 3)
    few = count()
    for i in range(2, 6):
        populate(make.tenant(slug=f"k{i}", bureau=districts[i % 2]).id, 5, recognised_on=date(Y, 1, 5))
    assert count() == few <= 14


def test_pages_targets_drill_down_and_links(app, world, login_as):
    db.session.add_all([BureauTarget(bureau_id=world.city, year=Y, bases=3, stations=30, demonstration_units=15,
                                     liaison_enterprises=30),
                        BureauTarget(bureau_id=world.d1, year=Y, bases=2)])
    db.session.commit()
    client = login_as("city@example.com")
    page = client.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    city_row = re.search(rf'data-node="{world.city}".*?</tr>', page, re.S).group(0)
    assert re.search(r'data-figure="bases">\s*1\s*<span class="text-muted" data-target="bases"> / 3<', city_row)
    d1_row = re.search(rf'data-node="{world.d1}".*?</tr>', page, re.S).group(0)
    assert 'data-target="bases"> / 2<' in d1_row and 'data-target="stations"' not in d1_row
    # Drill-down: a bureau links to its subtree, a base to the base's own pages.
    assert f'href="/bureau/rollup?node={world.d1}&amp;year={Y}"' in page
    assert 'href="/t/a1/"' in page
    sub = client.get(f"/bureau/rollup?year={Y}&node={world.d1}").get_data(as_text=True)
    assert "甲一园区" in sub and "乙一园区" not in sub
    assert client.get("/t/a1/").status_code == 200  # the link opens
    assert "/bureau/rollup" in client.get("/workbench/").get_data(as_text=True)  # in the top bar


def test_a_district_reviewer_sees_its_own_subtree_only(app, world, login_as):
    client = login_as("d1@example.com")
    page = client.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    assert "甲一园区" in page and "甲二园区" in page and "乙一园区" not in page and "市直协会" not in page
    for node in (world.city, world.d2, world.province, world.other, 2**31 - 1):
        assert client.get(f"/bureau/rollup?year={Y}&node={node}").status_code == 404
        assert client.get(f"/bureau/rollup.xlsx?year={Y}&node={node}").status_code == 404
        assert client.get(f"/bureau/districts/{node}/indicators/{Y}").status_code == 404
    # The other city's reviewer reaches nothing of this one.
    other = login_as("other@example.com")
    assert "甲一园区" not in other.get("/bureau/rollup").get_data(as_text=True)
    assert other.get(f"/bureau/rollup?node={world.city}").status_code == 404
    assert other.post(f"/bureau/districts/{world.d1}/indicators/{Y}", data={"state-cq4.2": "met"}).status_code == 404


def test_only_reviewers_reach_the_roll_up(app, world, make, login_as):
    make.user("admin@example.com", tenant=db.session.get(Tenant, world.tenants["a1"]), role="admin")
    client = login_as("admin@example.com")
    assert client.get("/bureau/rollup").status_code == 403
    assert client.get("/bureau/rollup.xlsx").status_code == 403
    assert client.get(f"/bureau/districts/{world.d1}/indicators/{Y}").status_code == 403


def test_bad_year_and_node_are_handled(app, world, login_as):
    client = login_as("city@example.com")
    this_year = str(date.today().year)
    for year in ("1" * 5000, "²", "-1", "99999", "abc", ""):
        response = client.get("/bureau/rollup", query_string={"year": year})
        assert response.status_code == 200 and f"· {this_year}<" in response.get_data(as_text=True)
    for node in ("1" * 5000, "²", "-1", "0", "x"):
        assert client.get("/bureau/rollup", query_string={"node": node}).status_code == 404
    assert client.get(f"/bureau/districts/{world.d1}/indicators/1999").status_code == 404
    assert client.get(f"/bureau/districts/{world.d1}/indicators/99999").status_code == 404


def test_export_has_the_same_numbers(app, world, login_as):
    db.session.add(BureauTarget(bureau_id=world.city, year=Y, bases=3))
    db.session.add(DistrictIndicator(bureau_id=world.d1, year=Y, code="cq4.3", state="met"))
    db.session.commit()
    client = login_as("city@example.com")
    response = client.get(f"/bureau/rollup.xlsx?year={Y}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert load_workbook(io.BytesIO(response.data)).active.cell(2, 1).value == "层级"  # the zh_CN UI's headers
    client.post("/lang/en", data={"next": "/"})
    rows = list(load_workbook(io.BytesIO(client.get(f"/bureau/rollup.xlsx?year={Y}").data)).active
                .iter_rows(values_only=True))
    head = rows[1]
    assert head[:3] == ("Level", "Name", "Parent")
    col = {name: i for i, name in enumerate(head)}
    tree = rollup(world.city, Y)
    assert len(tree.lines) == 7 and len(rows) == 2 + 7  # the title, the headers, one row per node
    labels = {"bases": "Recognised bases", "stations": "Guidance stations", "demonstration_units": "Demonstration units",
              "liaison_enterprises": "Liaison enterprises", "trained_enterprises": "Trained enterprises",
              "adopted_standard": "Members that adopted the local standard", "active_members": "Active members",
              "reports_on_time": "Reports received on time", "reports_due": "Reports due"}
    assert set(labels) == set(FIGURES)
    for line, row in zip(tree.lines, rows[2:]):
        assert (row[0], row[1], row[2]) == ({"city": "City", "district": "District", "base": "Base"}[line.level],
                                            line.name, line.parent or None)
        for figure, label in labels.items():
            assert row[col[label]] == line.figures[figure], (line.name, figure)
    assert rows[2][col["Target: Recognised bases"]] == 3 and rows[3][col["Target: Recognised bases"]] is None
    d1 = next(r for r in rows if r[1] == "甲区局")
    assert d1[col["Working mechanisms"]] == "Met" and d1[col["CQ-4: at least 15 recognised bases"]] == "no"


def test_cq4_indicators_recorded_by_the_district_and_its_city(app, world, login_as):
    d1 = login_as("d1@example.com")
    url = f"/bureau/districts/{world.d1}/indicators/{Y}"
    page = d1.get(url).get_data(as_text=True)
    assert 'name="state-cq4.2"' in page and 'name="state-cq4.8"' in page and "disabled" not in page
    data = {"state-cq4.2": "met", "note-cq4.2": "出台区级保护规则", "state-cq4.4": "partly"}
    response = d1.post(url, data=data)
    assert response.status_code == 302
    d1.post(url, data=data)  # the same form twice: nothing changes the second time
    rows = db.session.execute(sa.select(DistrictIndicator.code, DistrictIndicator.state, DistrictIndicator.note)
                              .order_by(DistrictIndicator.code)).all()
    assert rows == [("cq4.2", "met", "出台区级保护规则"), ("cq4.4", "partly", "")]
    tree = rollup(world.city, Y)
    assert tree.nodes[world.d1].cq4_met == 1 and not tree.nodes[world.d1].cq4_bases_met  # 1 base, needs 15
    roll = d1.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    assert re.search(r'data-cq4="cq4.2" title="[^"]+">2<', roll) and 'text-bg-success" data-cq4="cq4.2"' in roll
    assert 'data-cq4="bases"' in roll
    # The city's reviewer records for its district too; the province's only reads.
    city = login_as("city@example.com")
    assert city.post(url, data={"state-cq4.2": "not_met"}).status_code == 302
    assert db.session.scalar(sa.select(DistrictIndicator.state).where(DistrictIndicator.code == "cq4.2")) == "not_met"
    assert db.session.scalar(sa.select(sa.func.count(DistrictIndicator.id))) == 1  # cq4.4 cleared
    province = login_as("prov@example.com")
    assert "disabled" in province.get(url).get_data(as_text=True)
    assert province.post(url, data={"state-cq4.2": "met"}).status_code == 403
    # Another district's reviewer reaches neither.
    assert login_as("d2@example.com").post(url, data={"state-cq4.2": "met"}).status_code == 404
    # A city is no district: no indicators there.
    assert city.get(f"/bureau/districts/{world.city}/indicators/{Y}").status_code == 404


def test_cq4_bad_input_is_refused_with_a_message(app, world, login_as):
    client = login_as("d1@example.com")
    url = f"/bureau/districts/{world.d1}/indicators/{Y}"
    for data in ({"state-cq4.2": "excellent"}, {"state-cq4.3": "", "note-cq4.3": "只有说明"},
                 {"state-cq4.5": "met", "note-cq4.5": "长" * 2001}):
        response = client.post(url, data=data)
        assert response.status_code == 422
        assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(DistrictIndicator.id))) == 0
    assert len(CODES) == 7


def test_api_rollup_for_the_bureaus_reviewers_only(app, world, client):
    from saas.api import tokens as api_tokens
    from saas.auth.models import User

    def token(email):
        _t, raw = api_tokens.issue(User.by_email(email), db.session.get(Tenant, world.tenants["a1"]), "rollup")
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    city, d1 = token("city@example.com"), token("d1@example.com")
    body = client.get(f"/api/v1/bureaus/{world.city}/rollup?year={Y}", headers=city).get_json()
    tree = rollup(world.city, Y)
    assert [(ln["level"], ln["name"], ln["figures"]) for ln in body["lines"]] == \
        [(ln.level, ln.name, ln.figures) for ln in tree.lines]
    assert body["lines"][0]["bureau_id"] == world.city and body["lines"][2]["tenant"]["slug"] == "b1"
    sub = client.get(f"/api/v1/bureaus/{world.city}/rollup?year={Y}&node={world.d1}", headers=city).get_json()
    assert [ln["name"] for ln in sub["lines"]] == ["甲区局", "甲一园区", "甲二园区"] and "cq4" in sub["lines"][0]
    assert client.get(f"/api/v1/bureaus/{world.city}/rollup", headers=d1).status_code == 404
    assert client.get(f"/api/v1/bureaus/{world.d1}/rollup?node={world.city}", headers=d1).status_code == 404
    for bad in ("year=1999", "year=²", "node=0", "node=x"):
        assert client.get(f"/api/v1/bureaus/{world.d1}/rollup?{bad}", headers=d1).status_code == 400


def test_a_city_sets_its_districts_quotas_and_a_district_not_its_citys(app, world, login_as):
    city = login_as("city@example.com")
    response = city.post(f"/bureau/rollup/{world.d1}/targets/{Y}", data={"demonstration_units": "10", "stations": "2"})
    assert response.status_code == 302
    target = db.session.scalar(sa.select(BureauTarget).where(BureauTarget.bureau_id == world.d1))
    assert (target.year, target.demonstration_units, target.stations, target.bases) == (Y, 10, 2, None)
    page = city.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    d1_row = re.search(rf'data-node="{world.d1}".*?</tr>', page, re.S).group(0)
    assert 'data-target="demonstration_units"> / 10<' in d1_row
    assert city.post(f"/bureau/rollup/{world.d1}/targets/{Y}", data={"stations": "²"}).status_code == 302
    assert db.session.scalar(sa.select(BureauTarget.stations).where(BureauTarget.bureau_id == world.d1)) == 2
    d1 = login_as("d1@example.com")
    assert d1.post(f"/bureau/rollup/{world.city}/targets/{Y}", data={"bases": "1"}).status_code == 404
    assert d1.post(f"/bureau/rollup/{world.d1}/targets/1999", data={"bases": "1"}).status_code == 404
    assert login_as("other@example.com").post(f"/bureau/rollup/{world.d1}/targets/{Y}",
                                              data={"bases": "1"}).status_code == 404


def test_cq4_applies_to_chongqing_districts_not_to_wuhan_ones(app, make):
    cq = make.bureau("重庆市市场监督管理局", level="city")
    wh = make.bureau("武汉市市场监督管理局", level="city")
    liangjiang = make.bureau("两江新区市场监督管理局", level="district", parent=cq)  # Chongqing by its city
    jiangan = make.bureau("江岸区市场监督管理局", level="district", parent=wh)
    assert rollup(cq.id, Y).nodes[liangjiang.id].cq4
    assert not rollup(wh.id, Y).nodes[jiangan.id].cq4
