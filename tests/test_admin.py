"""Platform administration (/admin): access, bureaus, tenants, invitations, users."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from saas.auth.models import Membership, User
from saas.extensions import db
from saas.mail import SentMail
from saas.tenancy import Bureau, Tenant, tenant_scope

from .conftest import login
from .factories import Factory

ROW = re.compile(r'href="/admin/users/(\d+)/active"')


def english(user):
    """Pages for this user render in English, so messages can be compared."""
    user.locale = "en"
    db.session.commit()
    return user


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def admin(make):
    return english(make.user("root@example.com", name="Root", platform_admin=True))


@pytest.fixture
def admin_client(admin, login_as):
    return login_as(admin.email)


# Access ----------------------------------------------------------------------------------

def test_non_admin_gets_403(make, login_as):
    tenant = make.tenant()
    make.user("plain@example.com", tenant=tenant, role="admin")
    client = login_as("plain@example.com")
    for url in ("/admin/", "/admin/tenants", "/admin/bureaus", "/admin/users", "/admin/mail",
                "/admin/tenants/new", "/admin/bureaus/new"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/bureaus/new", data={"name": "X", "level": "city", "parent_id": 0}).status_code == 403
    assert count(Bureau) == 0


def test_anonymous_is_redirected_to_login(client, ctx):
    for url in ("/admin/", "/admin/users"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_platform_admin_sees_the_pages(admin_client):
    for url in ("/admin/", "/admin/tenants", "/admin/bureaus", "/admin/users", "/admin/mail",
                "/admin/tenants/new", "/admin/bureaus/new"):
        assert admin_client.get(url).status_code == 200, url


# Bureaus and tenants -----------------------------------------------------------------------

def test_admin_creates_bureau_and_tenant(admin_client):
    response = admin_client.post("/admin/bureaus/new", data={"name": "武汉市市场监督管理局", "level": "city",
                                                             "parent_id": 0})
    assert response.status_code == 302
    city = db.session.scalar(sa.select(Bureau).where(Bureau.name == "武汉市市场监督管理局"))
    assert city is not None and city.level == "city" and city.parent_id is None

    response = admin_client.post("/admin/bureaus/new", data={"name": "江岸区市场监督管理局", "level": "district",
                                                             "parent_id": city.id})
    assert response.status_code == 302
    district = db.session.scalar(sa.select(Bureau).where(Bureau.name == "江岸区市场监督管理局"))
    assert district.parent_id == city.id

    response = admin_client.post("/admin/tenants/new", data={
        "slug": "optics-valley", "name": "光谷园区", "kind": "park", "region": "湖北省武汉市",
        "default_locale": "en", "bureau_id": district.id, "status": "active"})
    assert response.status_code == 302
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "optics-valley"))
    assert tenant is not None
    assert (tenant.name, tenant.kind, tenant.region, tenant.default_locale, tenant.bureau_id, tenant.status) == \
        ("光谷园区", "park", "湖北省武汉市", "en", district.id, "active")
    assert "optics-valley" in admin_client.get("/admin/tenants").get_data(as_text=True)


def test_tenant_without_bureau(admin_client):
    response = admin_client.post("/admin/tenants/new", data={
        "slug": "assoc", "name": "协会", "kind": "association", "region": "", "default_locale": "zh_CN",
        "bureau_id": 0, "status": "active"})
    assert response.status_code == 302
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "assoc"))
    assert tenant.bureau_id is None and tenant.kind == "association"


def _tenant_data(**kw):
    data = {"slug": "good-slug", "name": "园区", "kind": "park", "region": "", "default_locale": "zh_CN",
            "bureau_id": 0, "status": "active"}
    data.update(kw)
    return data


def test_invalid_slug_rerenders_with_error(admin_client):
    response = admin_client.post("/admin/tenants/new", data=_tenant_data(slug="Bad Slug!"))
    assert response.status_code == 200
    assert "lower-case letters, digits and dashes" in response.get_data(as_text=True)
    assert count(Tenant) == 0


def test_duplicate_slug_is_refused(admin_client, make):
    make.tenant(slug="taken", name="原有园区")
    response = admin_client.post("/admin/tenants/new", data=_tenant_data(slug="taken", name="新园区"))
    assert response.status_code == 200
    assert "This short name is taken." in response.get_data(as_text=True)
    # Case and spaces are normalised before the check.
    response = admin_client.post("/admin/tenants/new", data=_tenant_data(slug=" TAKEN ", name="新园区"))
    assert response.status_code == 200
    assert "This short name is taken." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(sa.select(Tenant.name)).all() == ["原有园区"]


def test_district_cannot_be_parent_of_city(admin_client, make):
    district = make.bureau("某区局", level="district")
    response = admin_client.post("/admin/bureaus/new", data={"name": "某市局", "level": "city",
                                                             "parent_id": district.id})
    assert response.status_code == 200
    assert "The parent bureau must be of a higher level." in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Bureau.name)).all() == ["某区局"]


def test_duplicate_bureau_name_refused(admin_client, make):
    make.bureau("重名局", level="city")
    response = admin_client.post("/admin/bureaus/new", data={"name": "重名局", "level": "city", "parent_id": 0})
    assert response.status_code == 200
    assert "A bureau with this name already exists." in response.get_data(as_text=True)
    assert count(Bureau) == 1


def test_bureau_cannot_be_its_own_parent(admin_client, make):
    province = make.bureau("省局", level="province")
    city = make.bureau("市局", level="city", parent=province)
    # A bureau as its own parent is refused (the level rule catches it first).
    response = admin_client.post(f"/admin/bureaus/{city.id}/edit",
                                 data={"name": "市局", "level": "city", "parent_id": city.id})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Bureau, city.id).parent_id == province.id


def test_bureau_level_change_cannot_break_the_hierarchy(admin_client, make):
    """Re-levelling a city that has districts under it to "district" would leave a district
    under a district: the same rule as for a new parent must hold for existing children."""
    city = make.bureau("市局", level="city")
    make.bureau("区局", level="district", parent=city)
    city_id = city.id
    response = admin_client.post(f"/admin/bureaus/{city_id}/edit",
                                 data={"name": "市局", "level": "district", "parent_id": 0})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Bureau, city_id).level == "city"


def test_admin_edits_and_suspends_tenant(admin_client, make, login_as):
    tenant = make.tenant(slug="editme", name="旧名称")
    tenant_id = tenant.id
    make.user("member@example.com", tenant=tenant, role="admin")
    member = login_as("member@example.com")
    assert member.get("/t/editme/").status_code == 200

    response = admin_client.get(f"/admin/tenants/{tenant_id}/edit")
    assert response.status_code == 200 and "editme" in response.get_data(as_text=True)
    response = admin_client.post(f"/admin/tenants/{tenant_id}/edit", data=_tenant_data(
        slug="editme", name="新名称", status="suspended"))
    assert response.status_code == 302  # keeping its own slug is not a duplicate
    db.session.expire_all()
    tenant = db.session.get(Tenant, tenant_id)
    assert (tenant.name, tenant.status) == ("新名称", "suspended")
    assert member.get("/t/editme/").status_code == 404


# Inviting a tenant's first admin -----------------------------------------------------------

def test_invite_first_admin(admin_client, make):
    tenant = make.tenant(slug="new-park")
    response = admin_client.post(f"/admin/tenants/{tenant.id}/invite",
                                 data={"email": "First.Admin@Example.com", "name": "首位管理员"})
    assert response.status_code == 302
    user = User.by_email("first.admin@example.com")
    assert user is not None and user.password_hash is None and user.name == "首位管理员"
    with tenant_scope(tenant.id):
        memberships = db.session.scalars(sa.select(Membership)).all()
    assert [(m.user_id, m.role) for m in memberships] == [(user.id, "admin")]
    mails = db.session.scalars(sa.select(SentMail).where(SentMail.recipient == "first.admin@example.com")).all()
    assert len(mails) == 1
    assert re.search(r"http://[^/\s]+/invite/\S+", mails[0].body)


def test_invite_first_admin_needs_valid_email(admin_client, make):
    tenant = make.tenant(slug="new-park")
    response = admin_client.post(f"/admin/tenants/{tenant.id}/invite", data={"email": "not-an-email", "name": "X"})
    assert response.status_code == 200
    assert count(User) == 1  # the platform admin only
    assert count(SentMail) == 0


def test_invite_to_unknown_tenant_is_404(admin_client):
    assert admin_client.post("/admin/tenants/999/invite", data={"email": "a@example.com", "name": "A"}).status_code == 404


# Users -------------------------------------------------------------------------------------

def test_deactivate_user(app, admin_client, make):
    tenant = make.tenant()
    victim = make.user("victim@example.com", tenant=tenant, role="staff")
    victim_id = victim.id
    victim_client = login(app.test_client(), "victim@example.com")
    assert victim_client.get("/account").status_code == 200

    # GET shows a confirmation page and changes nothing.
    response = admin_client.get(f"/admin/users/{victim_id}/active")
    assert response.status_code == 200
    assert "victim@example.com" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, victim_id).active is True

    response = admin_client.post(f"/admin/users/{victim_id}/active")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, victim_id).active is False

    # No new sign-in...
    response = app.test_client().post("/login", data={"email": "victim@example.com", "password": Factory.PASSWORD},
                                      headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)
    # ...and the open session is gone.
    response = victim_client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    # Reactivating restores access.
    assert admin_client.post(f"/admin/users/{victim_id}/active").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, victim_id).active is True
    login(app.test_client(), "victim@example.com")


def test_admin_cannot_deactivate_themselves(admin, admin_client):
    admin_id = admin.id
    response = admin_client.post(f"/admin/users/{admin_id}/active", follow_redirects=True)
    assert response.status_code == 200
    assert "You cannot deactivate yourself." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin_id).active is True
    assert admin_client.get("/admin/").status_code == 200


def test_users_search(admin_client, make):
    make.user("alice@example.com", name="Alice Zhang", password=None)
    make.user("bob@example.com", name="Bob Qian", password=None)
    make.user("carol@example.com", name="张丽", password=None)

    html = admin_client.get("/admin/users?q=alice").get_data(as_text=True)
    assert "alice@example.com" in html and "bob@example.com" not in html and "carol@example.com" not in html

    html = admin_client.get("/admin/users?q=QIAN").get_data(as_text=True)  # by name, case-insensitive
    assert "bob@example.com" in html and "alice@example.com" not in html

    html = admin_client.get("/admin/users?q=张").get_data(as_text=True)
    assert "carol@example.com" in html and "bob@example.com" not in html

    html = admin_client.get("/admin/users?q=nobody-matches").get_data(as_text=True)
    assert not ROW.findall(html)


def test_users_pagination(admin_client, make):
    for i in range(60):
        make.user(f"bulk{i:02d}@example.com", name=f"Bulk {i:02d}", password=None)
    total = count(User)
    assert total == 61

    first = ROW.findall(admin_client.get("/admin/users").get_data(as_text=True))
    second = ROW.findall(admin_client.get("/admin/users?page=2").get_data(as_text=True))
    assert len(first) == 50
    assert len(second) == total - 50
    assert not set(first) & set(second)
    assert len(set(first) | set(second)) == total
    # Search and pagination combine.
    assert len(ROW.findall(admin_client.get("/admin/users?q=bulk&page=2").get_data(as_text=True))) == 10


def test_sent_mail_page_lists_mail(admin_client, make):
    tenant = make.tenant(name="邮件园区")
    admin_client.post(f"/admin/tenants/{tenant.id}/invite", data={"email": "mailme@example.com", "name": "M"})
    assert "mailme@example.com" in admin_client.get("/admin/mail").get_data(as_text=True)
