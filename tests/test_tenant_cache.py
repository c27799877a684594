"""The tenant cache (saas/tenant_cache.py): pages reuse what they computed until the tenant's data
changes — and never serve anything stale, another role's links or another language."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import g, template_rendered

from saas import templating
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from saas.tenant_cache import cached
from tenants.members.models import Enterprise

from .factories import credit_code_for
from .sql import statements


@pytest.fixture
def park(make, login_as):
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en")
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    return SimpleNamespace(tenant=tenant, id=tenant.id, admin=login_as("admin@example.com"))


def version(tenant_id) -> str:
    db.session.rollback()
    return db.session.scalar(sa.select(Tenant.data_version).where(Tenant.id == tenant_id))


@contextmanager
def templates_rendered(app):
    """The names of the templates rendered inside the block, in order."""
    rendered = []

    def record(_sender, template, context, **_extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield rendered
    finally:
        template_rendered.disconnect(record, app)


def active_members(response) -> str:
    assert response.status_code == 200
    return re.search(r'data-figure="active_members">(?:<a [^>]+>)?([^<]+)<', response.get_data(as_text=True)).group(1)


def add_enterprise(tenant_id, n):
    with tenant_scope(tenant_id):
        db.session.add(Enterprise(name=f"缓存企业{n}", credit_code=credit_code_for(n), employees=10,
                                  joined_on=date(2024, 1, 1), status="liaison"))
        db.session.commit()


def test_a_second_view_reuses_the_figures_and_a_write_refreshes_them(park):
    add_enterprise(park.id, 1)
    first = park.admin.get("/t/park/")
    assert active_members(first) == "1"
    with statements() as hit:
        again = park.admin.get("/t/park/")
    # Only the request's own lookup — the user, the sign-out check, the tenant and the
    # membership in one statement (saas/auth/access.py) —: no figure is recomputed.
    assert len(hit) == 1 and "signed_out_session" in hit[0] and "membership" in hit[0], hit
    assert active_members(again) == "1"

    # A write through a page refreshes them on the next view.
    response = park.admin.post("/t/park/members/new", data={
        "name": "新企业", "credit_code": credit_code_for(2), "employees": "5", "joined_on": "2024-01-01"})
    assert response.status_code == 302
    with statements() as miss:
        assert active_members(park.admin.get("/t/park/")) == "2"
    assert len(miss) > 5
    # …and so does a write outside any page (a job, the CLI).
    add_enterprise(park.id, 3)
    assert active_members(park.admin.get("/t/park/")) == "3"
    assert "缓存企业3" in park.admin.get("/t/park/members/").get_data(as_text=True)


def test_only_a_committed_change_of_the_tenants_own_rows_moves_its_version(park, make, ctx):
    other = make.tenant(slug="other")
    before = version(park.id)
    add_enterprise(other.id, 10)
    assert version(park.id) == before  # another tenant's write

    with tenant_scope(park.id):
        db.session.add(Enterprise(name="回滚企业", credit_code=credit_code_for(11), status="liaison"))
        db.session.flush()
        db.session.rollback()
    assert version(park.id) == before  # rolled back

    with tenant_scope(park.id):
        db.session.commit()
    assert version(park.id) == before  # nothing written

    add_enterprise(park.id, 12)
    after_orm = version(park.id)
    assert after_orm != before

    with tenant_scope(park.id):  # a bulk statement, no objects flushed
        db.session.execute(sa.update(Enterprise).values(employees=99))
        db.session.commit()
    assert version(park.id) not in (before, after_orm)


def test_a_pages_own_uncommitted_writes_are_never_answered_from_the_cache(park, app):
    add_enterprise(park.id, 20)
    with app.test_request_context():
        g.tenant = db.session.get(Tenant, park.id)
        calls = []
        compute = lambda: calls.append(1) or len(calls)  # noqa: E731
        assert cached("probe", (), compute) == 1
        assert cached("probe", (), compute) == 1  # a hit
        with tenant_scope(park.id):
            db.session.add(Enterprise(name="未提交", credit_code=credit_code_for(21), status="liaison"))
            db.session.flush()
            assert cached("probe", (), compute) == 2  # computed again, with the pending row
        db.session.rollback()


def test_figures_move_at_midnight(park, app, monkeypatch):
    import saas.tenant_cache as tenant_cache

    with app.test_request_context():
        g.tenant = db.session.get(Tenant, park.id)
        calls = []
        compute = lambda: calls.append(1) or len(calls)  # noqa: E731
        assert cached("probe", (), compute) == 1
        tomorrow = date.today() + timedelta(days=1)
        monkeypatch.setattr(tenant_cache, "date", SimpleNamespace(today=lambda: tomorrow))
        assert cached("probe", (), compute) == 2


def test_cached_pages_keep_each_roles_links_and_each_language(park, make, login_as):
    add_enterprise(park.id, 30)
    make.user("inst@example.com", name="指导员", tenant=park.tenant, role="instructor")
    instructor = login_as("inst@example.com")
    assert "Add an enterprise" in park.admin.get("/t/park/members/").get_data(as_text=True)
    roster = instructor.get("/t/park/members/").get_data(as_text=True)
    assert "缓存企业30" in roster and "Add an enterprise" not in roster
    # The instructor's cached menu has no settings link; the admin's still has.
    assert "/t/park/settings" not in roster
    assert "/t/park/settings" in park.admin.get("/t/park/members/").get_data(as_text=True)

    assert park.admin.post("/lang/zh_CN", data={"next": "/t/park/"}).status_code == 302
    chinese = park.admin.get("/t/park/members/").get_data(as_text=True)
    assert "添加企业" in chinese and "Add an enterprise" not in chinese
    assert "Add an enterprise" not in park.admin.get("/t/park/").get_data(as_text=True)


def test_an_import_written_by_bulk_statements_moves_the_version(park, ctx):
    import io

    from openpyxl import Workbook

    from tenants.members.importer import run_import
    from tenants.members.spreadsheet import COLUMNS

    wb = Workbook()
    wb.active.append([zh for _key, zh, _en in COLUMNS])
    wb.active.append([{"name": "导入企业", "credit_code": credit_code_for(40), "liaison_name": "导入联络员"}.get(key)
                      for key, _zh, _en in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    before = version(park.id)
    with tenant_scope(park.id):
        assert run_import(buf.getvalue(), "create").created == 1
        db.session.commit()
    assert version(park.id) != before


def test_each_tenant_has_its_own_entries(park, make, login_as):
    other = make.tenant(slug="other", name="另一园区", default_locale="en")
    make.user("other@example.com", tenant=other, role="admin")
    add_enterprise(park.id, 50)
    add_enterprise(park.id, 51)
    add_enterprise(other.id, 52)
    assert active_members(park.admin.get("/t/park/")) == "2"
    other_admin = login_as("other@example.com")
    page = other_admin.get("/t/other/")
    assert active_members(page) == "1" and "另一园区" in page.get_data(as_text=True)
    assert "缓存企业52" in other_admin.get("/t/other/members/").get_data(as_text=True)
    assert "缓存企业50" not in other_admin.get("/t/other/members/").get_data(as_text=True)


def test_top_bar_is_rendered_once_per_user_with_this_requests_token_and_path(app, park, make, login_as,
                                                                            monkeypatch):
    make.user("staff@example.com", name="园区职员", tenant=park.tenant, role="staff")
    staff = login_as("staff@example.com")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    first = park.admin.get("/t/park/").get_data(as_text=True)
    hostile = park.admin.get('/t/park/members/?q="><script>x</script>').get_data(as_text=True)
    # Each page's language forms return to that page, its query escaped.
    assert 'name="next" value="/t/park/"' in first
    assert "<script>x</script>" not in hostile
    assert 'name="next" value="/t/park/members/?q=&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in hostile
    # Another user gets their own bar (name, menu), not the admin's.
    other = staff.get("/t/park/").get_data(as_text=True)
    assert "园区职员" in other and "园区管理员" not in other
    # The CSRF token filled into the cached bar is this session's: signing out with it works.
    token = re.search(r'action="/logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', first).group(1)
    assert park.admin.post("/logout", data={"csrf_token": token}).status_code == 302
    assert park.admin.get("/account").status_code == 302


def test_a_repeated_view_is_served_whole_with_this_requests_messages_and_user(app, park, make, login_as,
                                                                             monkeypatch):
    add_enterprise(park.id, 40)
    with templates_rendered(app) as rendered:
        park.admin.get("/t/park/members/")
        rendered.clear()
        page = park.admin.get("/t/park/members/").get_data(as_text=True)
        # Nothing rendered: neither the roster nor the page around it (saas/templating.whole_page).
        assert rendered == [] and "缓存企业40" in page and "园区管理员" in page
        # A flashed message (an import redirects here with one) is shown once, on a page
        # rendered for it, and is not kept for the next view.
        with park.admin.session_transaction() as session:
            session["_flashes"] = [("success", "导入完成：1 家")]
        flashed = park.admin.get("/t/park/members/").get_data(as_text=True)
        assert "导入完成：1 家" in flashed and "members/index.html" in rendered and "缓存企业40" in flashed
        rendered.clear()
        after = park.admin.get("/t/park/members/").get_data(as_text=True)
        assert "导入完成" not in after and "缓存企业40" in after and rendered == []
    # Another admin of the same tenant gets a page of their own: their name in the top bar.
    make.user("second@example.com", name="第二管理员", tenant=park.tenant, role="admin")
    second = login_as("second@example.com").get("/t/park/members/").get_data(as_text=True)
    assert "第二管理员" in second and "园区管理员" not in second and "缓存企业40" in second
    # The page kept whole carries this request's CSRF token and path, never the stand-ins nor
    # another request's: the same admin in a new session (same store entry) gets a token of that
    # session — signing out with it works —, and a query string not in the key shows in `next`.
    assert templating._CSRF not in after and templating._NEXT not in after
    assert 'name="next" value="/t/park/members/"' in after
    park.admin.get("/t/park/members/")  # stored afresh (the second admin changed the data) by this session
    again = login_as("admin@example.com")
    again.get("/t/park/")  # shows the sign-in's flashed message, if any: such a page is rendered
    with templates_rendered(app) as rendered:
        other = again.get("/t/park/members/?x=1").get_data(as_text=True)
    assert rendered == [] and 'name="next" value="/t/park/members/?x=1"' in other
    token = re.search(r'action="/logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', other).group(1)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert again.post("/logout", data={"csrf_token": token}).status_code == 302
    assert again.get("/account").status_code == 302


def test_the_menu_is_not_rendered_again_after_a_write_and_follows_the_tenants_name(app, park):
    """The tenant's menu shows no tenant data: kept apart from the data version (a write does not
    render it again), under the tenant's name and links (a rename does)."""
    with templates_rendered(app) as rendered:
        park.admin.get("/t/park/members/")
        add_enterprise(park.id, 61)
        rendered.clear()
        page = park.admin.get("/t/park/members/").get_data(as_text=True)
        assert "缓存企业61" in page and "示范园区" in page
        assert "members/index.html" in rendered and "_tenant_nav.html" not in rendered
        db.session.get(Tenant, park.id).name = "改名园区"  # a write of the tenant: its pages are computed again
        db.session.commit()
        rendered.clear()
        page = park.admin.get("/t/park/members/").get_data(as_text=True)
        assert "_tenant_nav.html" in rendered and "改名园区" in page and "示范园区" not in page
