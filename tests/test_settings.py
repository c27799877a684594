"""Tenant settings (/t/<slug>/settings): profile, users, invitations, roles, removal."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from saas.auth.models import Membership, User
from saas.auth.services import AccountError
from saas.extensions import db
from saas.mail import SentMail
from saas.tenancy import Tenant, tenant_scope
from tenants.settings.services import change_role, remove

from .conftest import login
from .sql import statements

INVITE_LINK = re.compile(r"https?://[^/\s]+(/invite/[A-Za-z0-9_.\-]+)")
NEW_PASSWORD = "invitee-password-1"


def english(user):
    user.locale = "en"
    db.session.commit()
    return user


def memberships(tenant) -> dict[str, str]:
    """email -> role of every member of `tenant`."""
    db.session.expire_all()
    with tenant_scope(tenant.id):
        rows = db.session.execute(sa.select(User.email, Membership.role)
                                  .join(User, User.id == Membership.user_id)).all()
    return dict(rows)


def membership_id(tenant, email) -> int:
    with tenant_scope(tenant.id):
        return db.session.scalar(sa.select(Membership.id).join(User, User.id == Membership.user_id)
                                 .where(User.email == email))


def mails_to(email) -> list[SentMail]:
    return db.session.scalars(sa.select(SentMail).where(SentMail.recipient == email).order_by(SentMail.id)).all()


@pytest.fixture
def park(make):
    tenant = make.tenant(slug="park", name="光谷园区")
    english(make.user("boss@example.com", name="Boss", tenant=tenant, role="admin"))
    make.user("staff@example.com", name="Staffer", tenant=tenant, role="staff")
    return tenant


@pytest.fixture
def boss(park, login_as):
    return login_as("boss@example.com")


# Profile -------------------------------------------------------------------------------------

def test_admin_edits_profile(park, boss):
    assert boss.get("/t/park/settings/").status_code == 200
    response = boss.post("/t/park/settings/", data={"name": " 新名称园区 ", "region": "湖北省武汉市",
                                                    "default_locale": "en"})
    assert response.status_code == 302
    db.session.expire_all()
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "park"))
    assert (tenant.name, tenant.region, tenant.default_locale) == ("新名称园区", "湖北省武汉市", "en")


def test_profile_requires_a_name(park, boss):
    response = boss.post("/t/park/settings/", data={"name": "", "region": "x", "default_locale": "en"})
    assert response.status_code == 200
    db.session.expire_all()
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "park"))
    assert (tenant.name, tenant.default_locale) == ("光谷园区", "zh_CN")


# Invitations ---------------------------------------------------------------------------------

def test_invite_new_staff_user(park, boss):
    assert boss.get("/t/park/settings/users/invite").status_code == 200
    response = boss.post("/t/park/settings/users/invite",
                         data={"email": "newbie@example.com", "name": "新人", "role": "staff"})
    assert response.status_code == 302
    assert memberships(park)["newbie@example.com"] == "staff"
    user = User.by_email("newbie@example.com")
    assert user.password_hash is None
    mails = mails_to("newbie@example.com")
    assert len(mails) == 1 and INVITE_LINK.search(mails[0].body)
    # The list shows the new member.
    assert "newbie@example.com" in boss.get("/t/park/settings/users").get_data(as_text=True)


def test_invite_existing_user_needs_their_acceptance(park, boss, make, login_as):
    other = make.tenant(slug="other")
    make.user("known@example.com", name="Known", tenant=other, role="admin")
    response = boss.post("/t/park/settings/users/invite",
                         data={"email": "known@example.com", "name": "Another Name", "role": "instructor"})
    assert response.status_code == 302
    # Nothing is granted yet: the tenant cannot see the account's name.
    assert "known@example.com" not in memberships(park)
    users_page = boss.get("/t/park/settings/users").get_data(as_text=True)
    assert "known@example.com" in users_page and "Known" not in users_page
    assert memberships(other)["known@example.com"] == "admin"  # untouched
    assert User.by_email("known@example.com").name == "Known"
    mails = mails_to("known@example.com")
    assert len(mails) == 1
    assert "/invite/" not in mails[0].body
    assert "光谷园区" in mails[0].subject

    known = login_as("known@example.com")
    home = known.get("/").get_data(as_text=True)
    assert "光谷园区" in home
    invitation_id = int(re.search(r"/invitations/(\d+)/accept", home).group(1))
    # Somebody else cannot answer it.
    stranger = make.user("stranger@example.com")
    assert stranger
    assert login_as("stranger@example.com").post(f"/invitations/{invitation_id}/accept").status_code == 404
    assert known.post(f"/invitations/{invitation_id}/accept").status_code == 302
    assert memberships(park)["known@example.com"] == "instructor"
    # Answered once: a second click finds nothing.
    assert known.post(f"/invitations/{invitation_id}/accept").status_code == 404


def test_declined_and_withdrawn_invitations_grant_nothing(park, boss, make, login_as):
    make.user("admin@platform.example", name="平台管理员", platform_admin=True)
    boss.post("/t/park/settings/users/invite", data={"email": "admin@platform.example", "name": "x", "role": "staff"})
    platform_admin = login_as("admin@platform.example")
    invitation_id = int(re.search(r"/invitations/(\d+)/decline", platform_admin.get("/").get_data(as_text=True)).group(1))
    assert platform_admin.post(f"/invitations/{invitation_id}/decline").status_code == 302
    assert "admin@platform.example" not in memberships(park)
    assert "/withdraw" not in boss.get("/t/park/settings/users").get_data(as_text=True)
    # Invited again, then withdrawn by the tenant before the answer.
    boss.post("/t/park/settings/users/invite", data={"email": "admin@platform.example", "name": "x", "role": "staff"})
    page = boss.get("/t/park/settings/users").get_data(as_text=True)
    withdraw = re.search(r"/t/park/settings/users/invitations/(\d+)/withdraw", page).group(0)
    assert boss.post(withdraw).status_code == 302
    assert "/invitations/" not in platform_admin.get("/").get_data(as_text=True)
    assert "admin@platform.example" not in memberships(park)


def test_invitation_link_sets_password_then_login_works(app, park, boss):
    boss.post("/t/park/settings/users/invite", data={"email": "invitee@example.com", "name": "受邀人",
                                                     "role": "staff"})
    path = INVITE_LINK.search(mails_to("invitee@example.com")[0].body).group(1)

    invitee = app.test_client()
    assert invitee.get(path).status_code == 200
    # Mismatched passwords change nothing.
    response = invitee.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert response.status_code == 200
    db.session.expire_all()
    assert User.by_email("invitee@example.com").password_hash is None

    response = invitee.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert invitee.get("/t/park/").status_code == 200  # signed in by the link

    fresh = login(app.test_client(), "invitee@example.com", NEW_PASSWORD)
    assert fresh.get("/t/park/").status_code == 200
    # The link is single use.
    assert app.test_client().get(path).status_code == 400


def test_invite_with_invalid_email_or_role(park, boss):
    before = memberships(park)
    response = boss.post("/t/park/settings/users/invite", data={"email": "nope", "name": "X", "role": "staff"})
    assert response.status_code == 200
    response = boss.post("/t/park/settings/users/invite",
                         data={"email": "x@example.com", "name": "X", "role": "owner"})
    assert response.status_code == 200
    # An enterprise user needs a member enterprise: refused, and the new account is rolled back.
    response = boss.post("/t/park/settings/users/invite",
                         data={"email": "ent@example.com", "name": "E", "role": "enterprise"})
    assert response.status_code == 200
    assert "An enterprise user must be bound to a member enterprise." in response.get_data(as_text=True)
    assert memberships(park) == before
    assert User.by_email("x@example.com") is None and User.by_email("ent@example.com") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SentMail)) == 0


def test_invite_deactivated_user_is_refused(park, boss, make):
    user = make.user("gone@example.com")
    user.active = False
    db.session.commit()
    response = boss.post("/t/park/settings/users/invite", data={"email": "gone@example.com", "name": "G",
                                                                "role": "staff"})
    assert response.status_code == 200
    assert "This account is deactivated." in response.get_data(as_text=True)
    assert "gone@example.com" not in memberships(park)
    assert mails_to("gone@example.com") == []


def test_reinviting_the_last_admin_cannot_demote_them(park, boss):
    """Inviting an existing member replaces their role; it must not remove the last admin."""
    boss.post("/t/park/settings/users/invite", data={"email": "boss@example.com", "name": "Boss", "role": "staff"})
    assert memberships(park)["boss@example.com"] == "admin"


# Roles ---------------------------------------------------------------------------------------

def test_change_role(park, boss):
    mid = membership_id(park, "staff@example.com")
    response = boss.post(f"/t/park/settings/users/{mid}/role", data={"role": "instructor"})
    assert response.status_code == 302
    assert memberships(park)["staff@example.com"] == "instructor"
    boss.post(f"/t/park/settings/users/{mid}/role", data={"role": "admin"})
    assert memberships(park)["staff@example.com"] == "admin"


def test_change_role_with_invalid_role(park, boss):
    mid = membership_id(park, "staff@example.com")
    response = boss.post(f"/t/park/settings/users/{mid}/role", data={"role": "owner"}, follow_redirects=True)
    assert "The form was not valid; nothing changed." in response.get_data(as_text=True)
    assert memberships(park)["staff@example.com"] == "staff"


def test_demoting_the_last_admin_is_refused(park, boss):
    mid = membership_id(park, "boss@example.com")
    response = boss.post(f"/t/park/settings/users/{mid}/role", data={"role": "staff"}, follow_redirects=True)
    assert response.status_code == 200
    assert "A tenant needs at least one administrator." in response.get_data(as_text=True)
    assert memberships(park) == {"boss@example.com": "admin", "staff@example.com": "staff"}
    assert boss.get("/t/park/settings/users").status_code == 200


def test_demoting_one_of_two_admins_works(park, boss, make):
    make.user("boss2@example.com", tenant=park, role="admin")
    mid = membership_id(park, "boss2@example.com")
    boss.post(f"/t/park/settings/users/{mid}/role", data={"role": "staff"})
    assert memberships(park)["boss2@example.com"] == "staff"
    # Now boss is the last admin again.
    response = boss.post(f"/t/park/settings/users/{membership_id(park, 'boss@example.com')}/role",
                         data={"role": "staff"}, follow_redirects=True)
    assert "A tenant needs at least one administrator." in response.get_data(as_text=True)
    assert memberships(park)["boss@example.com"] == "admin"


def test_removing_the_last_admin_is_refused(app, park, make):
    """Through the web only the last admin themselves could try; the rule itself holds for anyone."""
    someone = make.user("someone@example.com")
    with app.test_request_context(), tenant_scope(park.id):
        admin_membership = db.session.scalar(sa.select(Membership).where(Membership.role == "admin"))
        with pytest.raises(AccountError):
            remove(admin_membership, someone)
        with pytest.raises(AccountError):
            change_role(admin_membership, "staff")
        db.session.rollback()
    assert memberships(park) == {"boss@example.com": "admin", "staff@example.com": "staff"}


# Removal -------------------------------------------------------------------------------------

def test_admin_cannot_remove_themselves(park, boss, make):
    make.user("boss2@example.com", tenant=park, role="admin")  # not the last admin: still refused
    mid = membership_id(park, "boss@example.com")
    response = boss.post(f"/t/park/settings/users/{mid}/remove", follow_redirects=True)
    assert "You cannot remove yourself." in response.get_data(as_text=True)
    assert memberships(park)["boss@example.com"] == "admin"


def test_remove_member_after_confirmation(park, boss, login_as):
    staff_client = login_as("staff@example.com")
    assert staff_client.get("/t/park/").status_code == 200
    mid = membership_id(park, "staff@example.com")

    response = boss.get(f"/t/park/settings/users/{mid}/remove")
    assert response.status_code == 200
    assert "staff@example.com" in response.get_data(as_text=True)
    assert "staff@example.com" in memberships(park)

    response = boss.post(f"/t/park/settings/users/{mid}/remove")
    assert memberships(park) == {"boss@example.com": "admin"}
    assert User.by_email("staff@example.com") is not None  # the account stays
    assert staff_client.get("/t/park/").status_code == 404
    # The admin is sent back to the list with a notice (not an error page).
    assert response.status_code == 302, response.status_code
    assert "/settings/users" in response.headers["Location"]


# Permissions ---------------------------------------------------------------------------------

def test_staff_gets_403_on_settings(park, login_as):
    client = login_as("staff@example.com")
    mid = membership_id(park, "boss@example.com")
    for url in ("/t/park/settings/", "/t/park/settings/users", "/t/park/settings/users/invite",
                f"/t/park/settings/users/{mid}/remove"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/t/park/settings/users/{mid}/role", data={"role": "staff"}).status_code == 403
    assert client.post(f"/t/park/settings/users/{mid}/remove").status_code == 403
    assert client.post("/t/park/settings/users/invite",
                       data={"email": "x@example.com", "name": "X", "role": "admin"}).status_code == 403
    assert memberships(park) == {"boss@example.com": "admin", "staff@example.com": "staff"}


# Users list ----------------------------------------------------------------------------------

def test_users_list_filters_by_role_and_q(park, boss, make):
    make.user("teacher@example.com", name="Teacher Wang", tenant=park, role="instructor")
    make.user("helper@example.com", name="Helper Zhao", tenant=park, role="staff")
    outsider = make.tenant(slug="outsider")
    make.user("stranger@example.com", name="Helper Stranger", tenant=outsider, role="staff")

    html = boss.get("/t/park/settings/users").get_data(as_text=True)
    for email in ("boss@example.com", "staff@example.com", "teacher@example.com", "helper@example.com"):
        assert email in html
    assert "stranger@example.com" not in html

    html = boss.get("/t/park/settings/users?role=staff").get_data(as_text=True)
    assert "staff@example.com" in html and "helper@example.com" in html
    assert "boss@example.com" not in html.split("</nav>")[-1] and "teacher@example.com" not in html

    html = boss.get("/t/park/settings/users?q=helper").get_data(as_text=True)
    assert "helper@example.com" in html
    assert "staff@example.com" not in html and "teacher@example.com" not in html
    assert "stranger@example.com" not in html

    html = boss.get("/t/park/settings/users?q=wang&role=instructor").get_data(as_text=True)
    assert "teacher@example.com" in html and "helper@example.com" not in html

    html = boss.get("/t/park/settings/users?q=wang&role=staff").get_data(as_text=True)
    assert "teacher@example.com" not in html


def _statements(client, url) -> int:
    with statements() as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen)


def test_users_page_runs_constant_number_of_queries(make, login_as):
    small = make.tenant(slug="small")
    make.user("small-admin@example.com", tenant=small, role="admin")
    for i in range(2):
        make.user(f"small{i}@example.com", tenant=small, role="staff", password=None)
    big = make.tenant(slug="big")
    make.user("big-admin@example.com", tenant=big, role="admin")
    for i in range(59):
        make.user(f"big{i:02d}@example.com", tenant=big, role="staff" if i % 2 else "instructor", password=None)
    assert len(memberships(small)) == 3 and len(memberships(big)) == 60
    db.session.expire_all()

    small_client, big_client = login_as("small-admin@example.com"), login_as("big-admin@example.com")
    small_client.get("/t/small/settings/users")  # warm-up
    big_client.get("/t/big/settings/users")

    small_count = _statements(small_client, "/t/small/settings/users")
    big_count = _statements(big_client, "/t/big/settings/users")
    assert small_count == big_count
    assert big_count > 0
    assert len(re.findall(r"/settings/users/\d+/remove", big_client.get("/t/big/settings/users")
                          .get_data(as_text=True))) == 50


def test_invite_enterprise_user_bound_to_a_member(park, boss, make):
    mine = make.enterprise(park, name="甲公司")
    make.enterprise(park, name="乙公司")
    page = boss.get(f"/t/{park.slug}/settings/users/invite").get_data(as_text=True)
    assert "甲公司" in page and "乙公司" in page
    response = boss.post(f"/t/{park.slug}/settings/users/invite",
                         data={"email": "ent@example.com", "name": "联络员", "role": "enterprise", "enterprise_id": mine})
    assert response.status_code == 302
    with tenant_scope(park.id):
        m = db.session.scalar(sa.select(Membership).join(User).where(User.email == "ent@example.com"))
        assert (m.role, m.enterprise_id) == ("enterprise", mine)
    # Another tenant's enterprise id is not a valid choice.
    foreign = make.enterprise(make.tenant())
    response = boss.post(f"/t/{park.slug}/settings/users/invite",
                         data={"email": "ent2@example.com", "name": "x", "role": "enterprise", "enterprise_id": foreign})
    assert response.status_code == 200 and User.by_email("ent2@example.com") is None
