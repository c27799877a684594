"""A new base's first-run checklist (ticked from its data, gone when done), the base's to-do
block and an enterprise user's to-do list: what is overdue, due and waiting, in that order."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.plans.models import AnnualPlan
from tenants.stations.models import Station
from tenants.visits.models import GuidanceVisit

TODAY = date.today()


def html(response) -> str:
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def steps(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="([a-z]+)" data-done="(yes|no)"', page))


def test_a_new_base_gets_a_first_run_checklist_that_goes_when_done(make, login_as):
    tenant = make.tenant(slug="newbase", name="新建园区")
    make.user("new-admin@example.com", tenant=tenant, role="admin")
    make.user("new-staff@example.com", tenant=tenant, role="staff")
    admin = login_as("new-admin@example.com")
    page = html(admin.get("/t/newbase/"))
    assert steps(page) == {"members": "no", "station": "no", "instructors": "no", "plan": "no"}
    # Each step links to where it is done.
    for href in ("/t/newbase/members/new", "/t/newbase/members/import", "/t/newbase/stations/",
                 "/t/newbase/visits/instructors", f"/t/newbase/plans/{TODAY.year}/edit"):
        assert f'href="{href}' in page, href
    assert 'data-todo="plan"' not in page  # the plan is a step here, not a to-do twice over
    # Staff do not set a base up: no checklist for them.
    assert "data-step" not in html(login_as("new-staff@example.com").get("/t/newbase/"))

    # Ticked from the data, one step at a time, whoever did it and however.
    make.enterprise(tenant, name="第一家会员")
    assert steps(html(admin.get("/t/newbase/")))["members"] == "yes"
    with tenant_scope(tenant.id):
        db.session.add(Station(name="第一指导站"))
        db.session.commit()
    make.user("new-ins@example.com", tenant=tenant, role="instructor")
    assert steps(html(admin.get("/t/newbase/"))) == {"members": "yes", "station": "yes", "instructors": "yes",
                                                     "plan": "no"}
    with tenant_scope(tenant.id):
        db.session.add(AnnualPlan(year=TODAY.year))
        db.session.commit()
    page = html(admin.get("/t/newbase/"))
    assert "data-step" not in page and 'id="first-run"' not in page


def test_the_bases_to_do_puts_overdue_first(make, login_as):
    tenant = make.tenant(slug="todobase")
    make.user("todo-admin@example.com", tenant=tenant, role="admin")
    eid = make.enterprise(tenant, name="待办企业")
    make.enterprise(tenant, name="无联络员", liaison=None)
    with tenant_scope(tenant.id):
        db.session.add(GuidanceVisit(enterprise_id=eid, visited_on=TODAY - timedelta(days=60),
                                     follow_up_due=TODAY - timedelta(days=3), status="open"))
        db.session.commit()
    page = html(login_as("todo-admin@example.com").get("/t/todobase/"))
    keys = re.findall(r'data-todo="([a-z_]+)"', page)
    assert keys[0] == "overdue_follow_ups"
    assert {"members_without_liaison", "never_trained"} <= set(keys)
    kinds = re.findall(r'data-todo="[a-z_]+"[^>]*>\s*<span class="badge text-bg-(\w+)"', page)
    order = {"danger": 0, "warning": 1, "secondary": 2}
    assert [order[k] for k in kinds] == sorted(order[k] for k in kinds)


def test_an_enterprise_user_lands_on_its_to_do(make, login_as):
    tenant = make.tenant(slug="entbase")
    eid = make.enterprise(tenant, name="星辰科技")
    other = make.enterprise(tenant, name="别家企业")
    user = make.user("ent-home@example.com")
    grant(user, tenant, "enterprise", eid)
    db.session.commit()
    with tenant_scope(tenant.id):
        db.session.add_all([
            GuidanceVisit(enterprise_id=eid, visited_on=TODAY - timedelta(days=30),
                          follow_up_due=TODAY - timedelta(days=1), status="open"),
            GuidanceVisit(enterprise_id=other, visited_on=TODAY - timedelta(days=30),
                          follow_up_due=TODAY - timedelta(days=1), status="open")])
        db.session.commit()
    client = login_as("ent-home@example.com")
    assert client.get("/").headers["Location"] == "/t/entbase/"
    page = html(client.get("/t/entbase/"))
    keys = re.findall(r'data-todo="([a-z_]+)"', page)
    # Its own overdue rectification only (not the other member's), first; then what waits.
    assert keys.count("rectification") == 1 and keys[0] == "rectification"
    assert {"acknowledge", "checklist", "figures", "training"} <= set(keys)
    assert f'href="/t/entbase/members/{eid}/survey/{TODAY.year}"' in page
