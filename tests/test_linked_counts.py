"""Counts that agree: every figure a dashboard or home page links to a list shows the number of
rows that list shows (one definition each: tenants/metrics/service.LINKS and the query functions
the pages share). Each test follows the link and compares."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest

from saas.auth.models import User
from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.members.models import ChecklistItem, Enterprise
from tenants.stations.models import ServiceLog, Station
from tenants.visits.models import GuidanceVisit

from .conftest import login

TODAY = date.today()
FIGURE = re.compile(r'data-figure="([a-z_]+)"><a href="([^"]+)">([^<]+)</a>')
TODO = re.compile(r'data-todo="([a-z_]+)" data-count="(\d+)">.*?<a href="([^"]+)">', re.S)


@pytest.fixture
def demo(app, ctx):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    tenant = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    with tenant_scope(tenant.id):
        # Follow-ups the year filter of the old link lost or added: overdue from last year, open
        # but not due yet, done though late, and an overdue visit (the ledger never listed those).
        station = db.session.query(Station).first()
        member = db.session.query(Enterprise).first()
        for served, due, state in ((date(TODAY.year - 1, 11, 1), date(TODAY.year - 1, 12, 1), "open"),
                                   (TODAY, TODAY + timedelta(days=30), "open"),
                                   (TODAY - timedelta(days=40), TODAY - timedelta(days=10), "done")):
            db.session.add(ServiceLog(station_id=station.id, served_on=served, category="consultation",
                                      summary="跟进测试", follow_up=state, follow_up_due=due))
        db.session.add(GuidanceVisit(enterprise_id=member.id, visited_on=date(TODAY.year - 1, 10, 1),
                                     follow_up_due=date(TODAY.year - 1, 12, 20), status="open"))
        db.session.commit()
    return app


def client_of(app, email):
    return login(app.test_client(), email, app.config["DEMO_PASSWORD"])


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


def total(html: str) -> int:
    """The row count a list page states (data-total: its pager, or the page's own headline)."""
    found = re.findall(r'data-total="(\d+)"', html)
    assert len(found) == 1, found
    return int(found[0])


def test_every_linked_dashboard_figure_is_the_count_of_its_list(demo):
    admin = client_of(demo, "admin@demo.example")
    home = page(admin, "/t/optics-valley/")
    figures = {name: (unescape(url), value) for name, url, value in FIGURE.findall(home)}
    assert set(figures) == {"active_members", "members_with_liaison", "demonstration_units",
                            "trained_enterprise_ratio", "visit_coverage_ratio", "overdue_follow_ups"}, figures
    active = int(figures["active_members"][1])
    for name, (url, value) in figures.items():
        listed = total(page(admin, url))
        if name == "visit_coverage_ratio":  # the coverage page lists the members below two visits
            assert value == f"{(active - listed) / active * 100:.1f}%", (name, url, value, listed)
        elif value.endswith("%"):  # a ratio: its rows over the active members
            assert value == f"{listed / active * 100:.1f}%", (name, url, value, listed)
        else:
            assert int(value) == listed, (name, url, value, listed)
    # The overdue figure counts last year's open ledger entry and the overdue visit, not the
    # open one not due yet nor the late one already done.
    overdue = page(admin, figures["overdue_follow_ups"][0])
    assert "跟进测试" in overdue and overdue.count("跟进测试") == 1
    # The ledger's own warning says the same number and links to the same page.
    ledger = page(admin, "/t/optics-valley/stations/log/")
    assert re.search(r'href="/t/optics-valley/stations/follow-ups">\D*(\d+)', ledger).group(1) == \
        figures["overdue_follow_ups"][1]


def test_every_counted_to_do_is_the_count_of_its_list(demo):
    admin = client_of(demo, "admin@demo.example")
    home = page(admin, "/t/optics-valley/")
    todos = TODO.findall(home)
    assert any(key == "overdue_follow_ups" for key, *_ in todos), todos
    for key, count, url in todos:
        assert int(count) == total(page(admin, unescape(url))), (key, url)


def test_an_enterprise_checklist_figure_is_the_rosters(demo):
    """The enterprise's page shows x/8 where the roster shows x/8 (the five implementations and
    three defences), and the enterprise's to-do counts the items left of the same eight."""
    admin = client_of(demo, "admin@demo.example")
    tenant = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    with tenant_scope(tenant.id):
        member = db.session.query(Enterprise).filter(Enterprise.status != "withdrawn").order_by(Enterprise.id).first()
        db.session.query(ChecklistItem).filter_by(enterprise_id=member.id).delete()
        for code in ("five.organisation", "five.rules", "three.people", "ruleset.ledger"):
            db.session.add(ChecklistItem(enterprise_id=member.id, code=code, state="in_place", note=""))
        db.session.commit()
        member_id, name = member.id, member.name
    roster = page(admin, "/t/optics-valley/members/?" + f"q={name}")
    assert re.search(rf'data-core="{member_id}">3/8<', roster)
    show = page(admin, f"/t/optics-valley/members/{member_id}")
    assert 'data-core="3"' in show and "3/8" in show
    user = User.by_email("ent-todo@example.com") or None
    from saas.auth.services import create_user

    user = create_user("ent-todo@example.com", "企业用户", demo.config["DEMO_PASSWORD"])
    grant(user, tenant, "enterprise", member_id)
    db.session.commit()
    ent = client_of(demo, "ent-todo@example.com")
    assert ent.get("/").headers["Location"] == "/t/optics-valley/"
    home = page(ent, "/t/optics-valley/")
    left = re.search(r'data-todo="checklist" data-count="(\d+)">.*?<a href="([^"]+)">', home, re.S)
    assert left and int(left.group(1)) == 5
    assert re.search(r'data-core="(\d+)"', page(ent, left.group(2))).group(1) == "3"
