"""Sign-in, sign-out, throttling, invitation and reset links, CSRF, sessions, headers."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from saas.auth.models import User
from saas.auth.tokens import make_token
from saas.extensions import db
from saas.mail import SentMail

from .conftest import login
from .factories import Factory


def _last_link(path_prefix: str) -> str:
    body = db.session.scalars(sa.select(SentMail).order_by(SentMail.id.desc())).first().body
    return re.search(rf"http://localhost({path_prefix}[^\s]+)", body).group(1)


def test_login_and_logout(client, make):
    make.user("u@example.com", name="用户甲")
    response = client.post("/login", data={"email": "U@Example.com ", "password": Factory.PASSWORD})
    assert response.status_code == 302
    assert "用户甲" in client.get("/account").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302  # back to the login page


def test_wrong_password_is_refused_without_saying_which_part(client, make):
    make.user("u@example.com")
    bad_password = client.post("/login", data={"email": "u@example.com", "password": "nope"})
    no_account = client.post("/login", data={"email": "ghost@example.com", "password": "nope"})
    assert bad_password.status_code == no_account.status_code == 200
    assert "Wrong email or password" in bad_password.get_data(as_text=True) or \
        "电子邮箱或密码错误" in bad_password.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_login_throttled_after_ten_failures_per_account(client, make):
    make.user("victim@example.com")
    make.user("bystander@example.com")
    for _ in range(10):
        assert client.post("/login", data={"email": "victim@example.com", "password": "x"}).status_code == 200
    blocked = client.post("/login", data={"email": "victim@example.com", "password": Factory.PASSWORD},
                          headers={"Accept-Language": "en"})
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked out.
    assert client.post("/login", data={"email": "bystander@example.com", "password": Factory.PASSWORD}).status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(app, make):
    make.user("busy@example.com")
    for _ in range(12):
        client = app.test_client()
        assert login(client, "busy@example.com")


def test_next_parameter_cannot_redirect_off_site(client, make):
    make.user("u@example.com")
    response = client.post("/login?next=//evil.example/x", data={"email": "u@example.com", "password": Factory.PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/account", data={"email": "u@example.com", "password": Factory.PASSWORD})
    assert response.headers["Location"] == "/account"


def test_invitation_link_sets_password_once(client, make, app):
    tenant = make.tenant()
    from saas.auth.services import invite

    with app.test_request_context():
        invite("new@example.com", "新人", tenant, "staff")
        db.session.commit()
    link = _last_link("/invite/")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "a-new-password", "confirm": "a-new-password"})
    assert response.status_code == 302
    assert client.get(f"/t/{tenant.slug}/").status_code == 200  # signed in, with the role
    # The link stops working once used.
    assert app.test_client().get(link).status_code == 400
    assert login(app.test_client(), "new@example.com", "a-new-password")


def test_tampered_and_expired_links_are_refused(client, make, app, monkeypatch):
    user = make.user("u@example.com")
    with app.test_request_context():
        token = make_token(user, "reset")
    assert client.get(f"/reset/{token}").status_code == 200
    assert client.get(f"/reset/{token[:-2]}xx").status_code == 400
    # An invitation token is not a reset token.
    with app.test_request_context():
        invite_token = make_token(user, "invite")
    assert client.get(f"/reset/{invite_token}").status_code == 400
    monkeypatch.setitem(app.config, "RESET_MAX_AGE", -1)
    assert client.get(f"/reset/{token}").status_code == 400


def test_password_reset_flow(client, make, app):
    make.user("u@example.com")
    response = client.post("/reset", data={"email": "u@example.com"})
    assert response.status_code == 302
    # Unknown addresses get the same answer and no mail.
    client.post("/reset", data={"email": "nobody@example.com"})
    assert db.session.scalar(sa.select(sa.func.count(SentMail.id))) == 1
    link = _last_link("/reset/")
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 200  # too short: form shown again, nothing changed
    assert client.post(link, data={"password": "brand-new-pass", "confirm": "brand-new-pass"}).status_code == 302
    assert app.test_client().post("/login", data={"email": "u@example.com", "password": Factory.PASSWORD}).status_code == 200
    assert login(app.test_client(), "u@example.com", "brand-new-pass")
    assert client.get(link).status_code == 400  # used


def test_change_password_signs_out_other_sessions(app, make, login_as):
    make.user("u@example.com")
    here, elsewhere = login_as("u@example.com"), login_as("u@example.com")
    wrong = here.post("/account/password", data={"current": "wrong", "password": "another-password",
                                                 "confirm": "another-password"})
    assert wrong.status_code == 200
    ok = here.post("/account/password", data={"current": Factory.PASSWORD, "password": "another-password",
                                              "confirm": "another-password"})
    assert ok.status_code == 302
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


def test_deactivated_user_is_signed_out(app, make, login_as):
    make.user("u@example.com")
    client = login_as("u@example.com")
    user = User.by_email("u@example.com")
    user.active = False
    db.session.commit()
    assert client.get("/account").status_code == 302
    assert app.test_client().post("/login", data={"email": "u@example.com", "password": Factory.PASSWORD}).status_code == 200


def test_csrf_is_enforced(app, make, monkeypatch):
    make.user("u@example.com")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    refused = client.post("/login", data={"email": "u@example.com", "password": Factory.PASSWORD})
    assert refused.status_code == 400 and client.get("/account").status_code == 302
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post("/login", data={"email": "u@example.com", "password": Factory.PASSWORD,
                                           "csrf_token": token})
    assert accepted.status_code == 302
    # Logout and the language switch are forms too.
    assert client.post("/logout").status_code == 400
    assert client.post("/lang/en").status_code == 400


def test_security_headers_and_cookie_flags(app, client, make):
    make.user("u@example.com")
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    plain = client.post("/login", data={"email": "u@example.com", "password": Factory.PASSWORD})
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client().post("/login", base_url="https://localhost",
                                    data={"email": "u@example.com", "password": Factory.PASSWORD})
    assert "Secure" in secure.headers["Set-Cookie"]


@pytest.mark.parametrize("path", ["/", "/account", "/admin/"])
def test_private_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_templates_have_no_inline_script(app):
    import pathlib

    for path in pathlib.Path(app.template_folder).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline script in {path}"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), f"inline event handler in {path}"
