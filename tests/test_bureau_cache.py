"""The bureau views at a province's scale (issue 23): each base's figures are kept in the tenant
cache under that base's data version — a write in one base shows at once and recomputes that base
only; the pages, the API and the roll-up send the same statements whatever the number of bases,
cached or not; the reviewer's reach is checked on every request."""

from __future__ import annotations

import re
from datetime import date

import pytest

from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.bureau import service
from tenants.bureau.rollup import rollup
from tenants.members.models import Enterprise

from .factories import credit_code_for
from .sql import statements
from .test_rollup import Y, populate, world  # noqa: F401  (the fixture)


def _forget(app):
    app.extensions.pop("tenant_cache.rows", None)


def _spy(monkeypatch) -> list:
    calls = []
    real = service._figures

    def spy(tids, year, today):
        calls.append(sorted(tids))
        return real(tids, year, today)

    monkeypatch.setattr(service, "_figures", spy)
    return calls


def _figures(page: str, slug: str) -> dict:
    row = re.search(rf'data-base="{slug}".*?</tr>', page, re.S).group(0)
    return {f: v.strip() for f, v in re.findall(r'data-figure="(\w+)">\s*([^<]*)', row)}


def _table(page: str) -> str:
    return page[page.index('<table'):page.index('</table>')]  # the page around it holds a CSRF token


def test_a_write_in_one_base_shows_at_once_and_recomputes_that_base_only(app, world, login_as, monkeypatch):
    _forget(app)
    calls = _spy(monkeypatch)
    city = login_as("city@example.com")
    first = city.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    city_bases = sorted(world.tenants[k] for k in ("a1", "a2", "b1", "c1"))
    assert calls == [city_bases]
    again = city.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    assert _table(again) == _table(first) and len(calls) == 1  # served from the cache
    before = _figures(first, "a1")

    with tenant_scope(world.tenants["a1"]):
        db.session.add(Enterprise(name="新会员", credit_code=credit_code_for(990_001), employees=5,
                                  joined_on=date(Y, 2, 1), status="liaison"))
        db.session.commit()
    after_page = city.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    assert calls[-1] == [world.tenants["a1"]]  # the other bases came from the cache
    after = _figures(after_page, "a1")
    assert int(after["active_members"]) == int(before["active_members"]) + 1
    assert _figures(after_page, "a2") == _figures(first, "a2")
    # What the cache serves is what a computation from scratch says, base by base.
    app.config["TENANT_CACHE"] = False
    try:
        fresh = {ln.row.tenant.slug: ln.figures for ln in rollup(world.city, Y).lines if ln.row is not None}
    finally:
        app.config["TENANT_CACHE"] = True
    assert fresh["a1"]["active_members"] == int(after["active_members"])
    overview = city.get(f"/bureau/?year={Y}").get_data(as_text=True)
    assert re.search(rf'甲一园区</a>.*?<td class="text-end">{fresh["a1"]["active_members"]}</td>', overview, re.S)


def test_a_warm_cache_shows_no_base_outside_the_reviewers_reach(app, world, login_as):
    _forget(app)
    province_page = login_as("prov@example.com").get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    assert "甲一园区" in province_page
    other = login_as("other@example.com")
    page = other.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    assert "外地园区" in page and "甲一园区" not in page
    assert "甲一园区" not in other.get(f"/bureau/?year={Y}").get_data(as_text=True)
    d1 = login_as("d1@example.com")
    assert d1.get(f"/bureau/rollup?year={Y}&node={world.city}").status_code == 404  # checked again, warm
    assert "乙一园区" not in d1.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)


@pytest.mark.parametrize("cached", [False, True])
def test_constant_statements_from_two_to_twelve_bases(app, make, login_as, cached):
    from saas.api import tokens as api_tokens
    from saas.auth.models import User

    city = make.bureau("规模市局", level="city")
    districts = [make.bureau(f"规模{i}区局", level="district", parent=city) for i in range(3)]
    tenants = [make.tenant(slug=f"s{i}", bureau=districts[i % 3]) for i in range(12)]
    make.user("scale@example.com", bureau=city, bureau_role="reviewer")
    client = login_as("scale@example.com")
    _t, raw = api_tokens.issue(User.by_email("scale@example.com"), tenants[0], "rollup")
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    urls = [f"/bureau/?year={Y}", f"/bureau/rollup?year={Y}", f"/bureau/rollup.xlsx?year={Y}",
            f"/api/v1/bureaus/{city.id}/rollup?year={Y}"]

    def counts():
        out = []
        for url in urls:
            _forget(app)
            if cached:
                client.get(url, headers=headers)
            with statements() as seen:
                assert client.get(url, headers=headers).status_code == 200
            out.append(len(seen))
        return out

    for t in tenants[:2]:
        populate(t.id, 3)
    counts()  # first uses (the token's last-used day, the session) write once
    few = counts()
    for t in tenants[2:]:
        populate(t.id, 4, recognised_on=date(Y, 1, 5))
    assert counts() == few
    if cached:  # a repeated view reads the tenant list, not their rows
        assert max(few) <= 12


def test_the_kept_roll_up_follows_targets_indicators_and_the_tree(app, world, login_as):
    """The tree is kept between requests under what it is made of (rollup.Inputs.key): a new
    target, a recorded CQ-4 item, a renamed or added bureau each show on the next request, and
    nothing else rebuilds it."""
    from saas.tenancy import Bureau
    from tenants.bureau.models import BureauTarget, DistrictIndicator

    _forget(app)
    first = rollup(world.city, Y)
    assert rollup(world.city, Y) is first  # kept: the same tree, not rebuilt
    assert first.nodes[world.d1].goal("bases") is None and not first.nodes[world.d1].indicators

    db.session.add(BureauTarget(bureau_id=world.d1, year=Y, bases=3))
    db.session.commit()
    second = rollup(world.city, Y)
    assert second is not first and second.nodes[world.d1].goal("bases") == 3
    assert second.version != first.version

    db.session.add(DistrictIndicator(bureau_id=world.d1, year=Y, code="cq4.2", state="met", note="规则"))
    db.session.commit()
    third = rollup(world.city, Y)
    assert third.nodes[world.d1].indicators["cq4.2"].state == "met" and third.nodes[world.d1].cq4_met == 1

    db.session.get(Bureau, world.d2).name = "乙区局（新）"
    db.session.add(Bureau(name="丙区局", level="district", parent_id=world.city))
    db.session.commit()
    fourth = rollup(world.city, Y)
    assert fourth.nodes[world.d2].name == "乙区局（新）"
    assert "丙区局" in {line.name for line in fourth.lines}
    # Another year and another node are other trees; the reviewer's reach is checked on every call.
    assert rollup(world.city, Y + 1) is not fourth and rollup(world.city, Y, world.d1).root.id == world.d1
    assert rollup(world.city, Y, world.other) is None

    # The API's JSON and the page follow the same tree.
    client = login_as("city@example.com")
    page = client.get(f"/bureau/rollup?year={Y}").get_data(as_text=True)
    assert "乙区局（新）" in page and "丙区局" in page


def test_the_stamp_moves_with_every_input_of_a_bureau_view_and_only_then(app, world, make, login_as):
    """service.stamp is the key of the kept overview, roll-up and API (one statement of one row):
    the same while nothing changes; new on a write in a base, a base added, moved or suspended,
    a target or CQ-4 item of the year; not on another year's target or another bureau's base."""
    from saas.tenancy import Bureau, Tenant
    from tenants.bureau.models import BureauTarget, DistrictIndicator

    city, year = world.city, Y
    first = service.stamp(city, year)
    assert service.stamp(city, year) == first and service.stamp(city) != first
    seen = {first}

    def moved() -> str:
        now = service.stamp(city, year)
        assert now not in seen
        seen.add(now)
        return now

    with tenant_scope(world.tenants["b1"]):  # a write in one base
        db.session.add(Enterprise(name="又一会员", credit_code=credit_code_for(990_002), employees=3,
                                  joined_on=date(Y, 3, 1), status="liaison"))
        db.session.commit()
    moved()
    make.tenant(slug="new1", name="新设园区", bureau=db.session.get(Bureau, world.d2))  # a base added
    moved()
    db.session.get(Tenant, world.tenants["x1"]).bureau_id = world.d1  # a base moved in
    db.session.commit()
    moved()
    db.session.get(Tenant, world.tenants["a2"]).status = "suspended"
    db.session.commit()
    moved()
    db.session.add(BureauTarget(bureau_id=world.d1, year=Y, stations=2))
    db.session.commit()
    moved()
    db.session.add(DistrictIndicator(bureau_id=world.d2, year=Y, code="cq4.3", state="partly"))
    db.session.commit()
    after = moved()
    # Not moved by what the views of this bureau and year do not show.
    db.session.add(BureauTarget(bureau_id=world.d1, year=Y + 1, stations=9))
    db.session.commit()
    make.tenant(slug="far1", name="远方园区", bureau=db.session.get(Bureau, world.other))
    assert service.stamp(city, year) == after
    # The overview follows: the suspended base is gone, the moved one is listed.
    page = login_as("city@example.com").get(f"/bureau/?year={Y}").get_data(as_text=True)
    assert "外地园区" in page and "甲二园区" not in page
