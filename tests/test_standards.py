"""Each tenant follows its own set of standards (issue 19): chosen at creation from its bureau's
region, changeable by the platform admin; the readiness page, application start, unit
applications, plan form, timeline, deadlines and warnings offer that set only. And the
members-below-two-visits figure counts the rows its page lists.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.applications.models import Application
from tenants.deadlines.service import for_user
from tenants.metrics.service import tenant_metrics
from tenants.plans.models import AnnualPlan
from tenants.recognition.models import UnitApplication
from tenants.schemes.service import schemes
from tenants.schemes.standards import derive, standard_of, units_required
from tenants.training.coverage import Period
from tenants.visits.models import GuidanceVisit

from .test_applications import page_checklist, start

Y = 2025  # a past year: its figures are settled


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def options(page: str, name: str = "scheme") -> set[str]:
    """The scheme codes a page's <select name=…> offers."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no select {name}"
    return set(re.findall(r'<option[^>]*value="([^"]*)"', found.group(1)))


def _tenant(make, login_as, slug, *bureaus, region="", email=None):
    """A park under the chain of bureaus (city first), with its admin logged in."""
    parent = None
    for name, level in bureaus:
        parent = make.bureau(name, level=level, parent=parent)
    tenant = make.tenant(slug=slug, name=f"{slug}园区", default_locale="en", bureau=parent, region=region)
    email = email or f"{slug}@example.com"
    make.user(email, name="园区管理员", tenant=tenant, role="admin")
    return SimpleNamespace(tenant=tenant, id=tenant.id, admin=login_as(email), url=f"/t/{slug}", email=email)


@pytest.fixture
def wuhan(make, login_as):
    return _tenant(make, login_as, "wuhan", ("武汉市市场监督管理局", "city"),
                   ("东湖新技术开发区市场监督管理局", "district"))


@pytest.fixture
def chongqing(make, login_as):
    return _tenant(make, login_as, "chongqing", ("重庆市市场监督管理局", "city"),
                   ("两江新区市场监督管理局", "district"))


# --- the set a tenant follows ------------------------------------------------------------------

def test_the_set_comes_from_the_bureau_chain_then_the_region(make, wuhan, chongqing):
    # A district named without its city takes its parent's: 东湖新技术开发区 is in Wuhan.
    assert (wuhan.tenant.standard, chongqing.tenant.standard) == ("wh", "cq")
    hongqiao = make.tenant(slug="hq", region="天津市红桥区")
    xicheng = make.tenant(slug="xc", bureau=make.bureau("北京市西城区市场监督管理局"))
    nowhere = make.tenant(slug="nowhere", bureau=make.bureau("某区市场监督管理局"))
    assert (hongqiao.standard, xicheng.standard, nowhere.standard) == ("tj", "xc", "")
    # No place known: every set is offered, as before sets existed.
    assert {s.code for s in standard_of(nowhere).applicable("park")} == set(schemes())
    # A tenant made before sets existed ("" stored) gets the same default, computed.
    wuhan.tenant.standard = ""
    db.session.commit()
    assert standard_of(db.session.get(Tenant, wuhan.id)).code == "wh"
    assert derive(None, "湖北省武汉市江岸区") == "wh" and derive(None, "山东省聊城市") == ""


def test_units_needed_are_read_from_the_base_schemes_rules(app, ctx):
    found = {code: units_required(schemes()[code]) for code in ("cq-park", "wh-station", "tj-base", "xc-zone")}
    assert found == {"cq-park": 5, "wh-station": 2, "tj-base": None, "xc-zone": None}


# --- what each page offers -----------------------------------------------------------------------

def test_a_wuhan_park_is_offered_wuhan_schemes_only(wuhan, make):
    readiness = text(wuhan.admin.get(f"{wuhan.url}/readiness/"))
    assert options(readiness) == {"wh-station", "wh-enterprise"}
    assert re.search(r'<option value="wh-station" selected', readiness)  # the default: not cq-park
    assert wuhan.admin.get(f"{wuhan.url}/readiness/?scheme=cq-park").status_code == 404
    assert wuhan.admin.get(f"{wuhan.url}/readiness/?scheme=xc-point").status_code == 404

    assert options(text(wuhan.admin.get(f"{wuhan.url}/applications/"))) == {"wh-station"}
    wuhan.admin.post(f"{wuhan.url}/applications/start", data={"scheme": "cq-park", "year": str(Y)})
    with tenant_scope(wuhan.id):
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0
    start(wuhan.admin, slug="wuhan", scheme="wh-station")

    enterprise = make.enterprise(wuhan.tenant, name="光谷企业")
    assert options(text(wuhan.admin.get(f"{wuhan.url}/units/"))) == {"wh-enterprise", "wh-station"}
    for scheme in ("cq-enterprise", "xc-point"):
        wuhan.admin.post(f"{wuhan.url}/units/apply", data={"unit": f"enterprise:{enterprise}", "scheme": scheme,
                                                           "year": str(date.today().year)})
    with tenant_scope(wuhan.id):
        assert db.session.scalar(sa.select(sa.func.count(UnitApplication.id))) == 0
    wuhan.admin.post(f"{wuhan.url}/units/apply", data={"unit": f"enterprise:{enterprise}", "scheme": "wh-enterprise",
                                                       "year": str(date.today().year)})
    with tenant_scope(wuhan.id):
        assert db.session.scalars(sa.select(UnitApplication.scheme)).all() == ["wh-enterprise"]


def test_a_chongqing_park_is_offered_chongqing_schemes_only(chongqing, make):
    make.enterprise(chongqing.tenant)
    readiness = text(chongqing.admin.get(f"{chongqing.url}/readiness/"))
    assert options(readiness) == {"cq-park", "cq-enterprise"}
    assert chongqing.admin.get(f"{chongqing.url}/readiness/?scheme=wh-station").status_code == 404
    assert options(text(chongqing.admin.get(f"{chongqing.url}/applications/"))) == {"cq-park"}
    assert options(text(chongqing.admin.get(f"{chongqing.url}/units/"))) == {"cq-enterprise"}


def test_a_scheme_chosen_under_another_set_is_not_the_default(wuhan):
    """The demo's Wuhan park once chose cq-park first, and so defaulted to Chongqing."""
    response = wuhan.admin.post(f"{wuhan.url}/readiness/schemes", data={"scheme": ["cq-park", "wh-station"]})
    assert response.status_code == 302
    readiness = text(wuhan.admin.get(f"{wuhan.url}/readiness/"))
    assert re.search(r'<option value="wh-station" selected', readiness)
    assert 'id="s-cq-park"' not in readiness


# --- plan form -----------------------------------------------------------------------------------

def test_plan_form_asks_for_the_xicheng_targets_in_xicheng_only(wuhan, make, login_as):
    page = text(wuhan.admin.get(f"{wuhan.url}/plans/{Y}/edit"))
    for field in ("training_ratio_target", "publicity_events_target", "demonstration_target", "rules_ratio_target"):
        assert f'name="{field}"' not in page
    assert "XC-3" not in page
    response = wuhan.admin.post(f"{wuhan.url}/plans/{Y}/edit", data={"training_ratio_target": "60", "key_tasks": "任务",
                                                                     "t_name": "受训企业", "t_unit": "家",
                                                                     "t_target": "30", "t_metric": "trained_enterprises"})
    assert response.status_code == 302
    with tenant_scope(wuhan.id):
        plan = db.session.scalar(sa.select(AnnualPlan))
        assert (plan.training_ratio_target, plan.key_tasks, [t.name for t in plan.targets]) == (None, "任务", ["受训企业"])

    xicheng = _tenant(make, login_as, "xicheng", ("北京市西城区市场监督管理局", "district"))
    page = text(xicheng.admin.get(f"{xicheng.url}/plans/{Y}/edit"))
    for field in ("training_ratio_target", "publicity_events_target", "demonstration_target", "rules_ratio_target"):
        assert f'name="{field}"' in page
    assert xicheng.admin.post(f"{xicheng.url}/plans/{Y}/edit", data={
        "training_ratio_target": "60", "publicity_events_target": "4", "demonstration_target": "3",
        "rules_ratio_target": "70"}).status_code == 302
    with tenant_scope(xicheng.id):
        plan = db.session.scalar(sa.select(AnnualPlan))
        assert (plan.training_ratio_target, plan.publicity_events_target, plan.has_xc_targets) == (60.0, 4, True)


# --- deadlines and the timeline -------------------------------------------------------------------

def _deadlines(app, email, year):
    from saas.auth.models import User

    with app.test_request_context(), force_locale("en"):
        user = db.session.scalar(sa.select(User).where(User.email == email))
        return {(d.day, d.title) for d in for_user(user, date(year, 1, 1), date(year, 12, 31))}


def test_deadlines_and_timeline_are_the_tenants_own(app, make, login_as, wuhan, chongqing):
    year = date.today().year + 1
    tianjin = _tenant(make, login_as, "tianjin", ("天津市红桥区市场监督管理局", "district"))
    window = {(date(year, 5, 1), "{}: application window opens"), (date(year, 6, 15), "{}: application window closes")}
    own = lambda t, extra: {(d, title.format(t.tenant.name)) for d, title in window | extra}  # noqa: E731
    assert _deadlines(app, chongqing.email, year) == own(chongqing, {
        (date(year, 6, 15), "{}: half-year progress report"), (date(year, 12, 15), "{}: year-end progress report")})
    assert _deadlines(app, wuhan.email, year) == own(wuhan, set())
    assert _deadlines(app, tianjin.email, year) == own(tianjin, {
        (date(year, 4, 30), "{}: acceptance of last year's work ends (work report)")})

    def timeline(t):
        page = text(t.admin.get(f"{t.url}/"))
        # Which requirement each date comes from, kept for tools (a raw code is no text for people).
        return re.findall(r'data-source="(\w\w-\d)"', page.split('id="timeline"')[1].split("</ul>")[0])

    assert timeline(chongqing) == ["CQ-3", "CQ-4", "CQ-4"]
    assert timeline(tianjin) == ["TJ-6", "TJ-6", "TJ-6"]
    assert timeline(wuhan) == []


# --- warnings ----------------------------------------------------------------------------------------

def test_the_demonstration_unit_warning_follows_the_standard(wuhan, chongqing, make, login_as):
    def warning(t, scheme):
        application_id = start(t.admin, slug=t.url.split("/")[-1], scheme=scheme)
        found = [m for _level, m in page_checklist(t.admin.get(f"{t.url}/applications/{application_id}"))
                 if "demonstration units" in m]
        return found[0] if found else None

    make.enterprise(wuhan.tenant, status="demonstration")
    assert warning(wuhan, "wh-station") == "Only 1 demonstration units: the standard asks for at least 2."
    assert "1 of the 2 needed" in text(wuhan.admin.get(f"{wuhan.url}/"))
    make.enterprise(wuhan.tenant, status="demonstration")  # WH-2: at least 2 demonstration enterprises
    assert warning(wuhan, "wh-station") is None

    for _n in range(2):
        make.enterprise(chongqing.tenant, status="demonstration")
    assert warning(chongqing, "cq-park") == "Only 2 demonstration units: the standard asks for at least 5."
    assert "2 of the 5 needed" in text(chongqing.admin.get(f"{chongqing.url}/"))

    xicheng = _tenant(make, login_as, "xicheng", ("北京市西城区市场监督管理局", "district"))
    assert warning(xicheng, "xc-zone") is None  # XC-3 names no number of demonstration units
    assert "needed" not in text(xicheng.admin.get(f"{xicheng.url}/"))


# --- the platform admin chooses -------------------------------------------------------------------

def _form(tenant, **changes):
    return {"slug": tenant.slug, "name": tenant.name, "kind": tenant.kind, "region": tenant.region or "",
            "default_locale": tenant.default_locale, "bureau_id": tenant.bureau_id or 0, "status": tenant.status,
            **changes}


def test_the_platform_admin_changes_a_tenants_set(wuhan, make, login_as):
    make.user("root@example.com", platform_admin=True).locale = "en"
    db.session.commit()
    root = login_as("root@example.com")
    page = text(root.get(f"/admin/tenants/{wuhan.id}/edit"))
    assert options(page, "standard") == {"", "cq", "wh", "tj", "xc"}
    assert re.search(r'<option selected value="wh">|<option value="wh" selected', page)
    assert 'data-standard="wuhan">Wuhan standards<' in text(root.get("/admin/tenants"))

    assert root.post(f"/admin/tenants/{wuhan.id}/edit", data=_form(wuhan.tenant, standard="xc")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Tenant, wuhan.id).standard == "xc"
    assert options(text(wuhan.admin.get(f"{wuhan.url}/readiness/"))) == {"xc-zone", "xc-point"}
    assert options(text(wuhan.admin.get(f"{wuhan.url}/applications/"))) == {"xc-zone"}

    # Not a set: the form says so, nothing changes, no 5xx.
    response = root.post(f"/admin/tenants/{wuhan.id}/edit", data=_form(wuhan.tenant, standard="lc"))
    assert response.status_code == 200 and "Not a valid choice" in text(response)
    # Back to the region's ("" on the form): Wuhan again.
    assert root.post(f"/admin/tenants/{wuhan.id}/edit", data=_form(wuhan.tenant, standard="")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Tenant, wuhan.id).standard == "wh"

    # A new tenant under a Chongqing bureau, the set left to the region.
    city = make.bureau("重庆市市场监督管理局", level="city")
    response = root.post("/admin/tenants/new", data={"slug": "new-cq", "name": "新园区", "kind": "park", "region": "",
                                                     "default_locale": "zh_CN", "bureau_id": city.id,
                                                     "status": "active"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Tenant.standard).where(Tenant.slug == "new-cq")) == "cq"


def test_cli_creates_a_tenant_with_the_regions_set_or_a_chosen_one(app, make):
    make.bureau("武汉市市场监督管理局", level="city")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "create", "cli-wh", "--name", "园区", "--kind", "park",
                                 "--bureau", "武汉市市场监督管理局"])
    assert result.exit_code == 0 and "standards: wh" in result.output, result.output
    result = runner.invoke(args=["tenants", "create", "cli-tj", "--name", "园区", "--kind", "park", "--standard", "tj"])
    assert result.exit_code == 0 and "standards: tj" in result.output, result.output
    assert runner.invoke(args=["tenants", "create", "cli-x", "--name", "园区", "--kind", "park",
                               "--standard", "lc"]).exit_code == 2


# --- the members-below-two-visits figure and its rows ---------------------------------------------

def test_members_below_two_visits_figure_counts_the_rows_listed(make, login_as, app):
    t = _tenant(make, login_as, "visits", ("测试市市场监督管理局", "city"))
    twice = make.enterprise(t.tenant, name="两次企业", joined_on=date(2024, 1, 1))
    make.enterprise(t.tenant, name="未访企业", joined_on=date(2024, 1, 1))
    # Withdrawn after the year ended: a member on its last day, so below two that year.
    make.enterprise(t.tenant, name="次年退出企业", joined_on=date(2024, 1, 1), status="withdrawn",
                    withdrawal_reason="迁出", withdrawn_on=date(Y + 1, 3, 1))
    # Joined after the year ended: not a member of that year.
    make.enterprise(t.tenant, name="次年加入企业", joined_on=date(Y + 1, 3, 1))
    with tenant_scope(t.id):
        db.session.add_all([GuidanceVisit(enterprise_id=twice, visited_on=date(Y, m, 1), topics=["rules"])
                            for m in (3, 9)])
        db.session.commit()
        figure = tenant_metrics(Period.year(Y))["members_below_visits"]
    page = text(t.admin.get(f"{t.url}/visits/coverage", query_string={"year": Y}))
    below = re.findall(r'<tr class="table-warning"><td><a href="[^"]+">([^<]+)</a>', page)
    assert sorted(below) == ["未访企业", "次年退出企业"]
    assert figure == len(below) == 2
    assert "次年加入企业" not in page


def test_demo_tenants_follow_their_regions(app, ctx):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    found = dict(db.session.execute(sa.select(Tenant.slug, Tenant.standard)).all())
    assert found == {"optics-valley": "wh", "wh-software": "wh", "cq-liangjiang": "cq"}
    with app.test_request_context():
        from tenants.schemes.service import default_scheme

        optics = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "optics-valley"))
        with tenant_scope(optics.id):
            assert default_scheme(optics).code == "wh-station"  # it defaulted to cq-park before
