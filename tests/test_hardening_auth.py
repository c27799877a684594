"""Issue 18, accounts: links built from configuration (no reset-link poisoning), sign-in
throttling that parallel requests cannot outrun and strangers cannot turn against the owner,
secrets masked in logs."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from saas import ConfigError, create_app
from saas.auth import throttle
from saas.extensions import db
from saas.mail import SentMail

from .conftest import TEST_CONFIG, Client, login
from .factories import Factory

PUBLIC = "https://bases.example.cn"


@pytest.fixture
def public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    return PUBLIC


def _mails() -> list[SentMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SentMail).order_by(SentMail.id)))


def _links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


# --- 1. reset-link poisoning -------------------------------------------------------------------

def test_reset_with_a_foreign_host_header_is_refused_and_mails_nothing(client, make, public_url):
    make.user("victim@example.com")
    response = client.post("/reset", data={"email": "victim@example.com"}, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert _mails() == []


def test_forwarded_host_behind_a_trusted_proxy_is_refused_too(app, make, public_url):
    proxied = create_app({**TEST_CONFIG, "TRUSTED_PROXIES": 1, "PUBLIC_URL": PUBLIC})
    proxied.test_client_class = Client
    make.user("victim@example.com")
    client = proxied.test_client()
    poisoned = client.post("/reset", data={"email": "victim@example.com"},
                           headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert poisoned.status_code == 400
    assert _mails() == []
    # The public host itself, as the proxy forwards it, is served.
    fine = client.post("/reset", data={"email": "victim@example.com"},
                       headers={"X-Forwarded-Host": "bases.example.cn", "X-Forwarded-Proto": "https"})
    assert fine.status_code == 302


def test_mailed_links_start_with_the_public_url_whatever_the_request_host(client, make, public_url):
    make.user("victim@example.com")
    # 127.0.0.1 is a host the app answers to in development, but not the public one.
    assert client.post("/reset", data={"email": "victim@example.com"},
                       headers={"Host": "127.0.0.1:5000"}).status_code == 302
    [mail] = _mails()
    [link] = _links(mail.body)
    assert link.startswith(f"{PUBLIC}/reset/"), link
    # The link works on the real host.
    token_path = link[len(PUBLIC):]
    assert client.get(token_path).status_code == 200


def test_invitation_and_notification_links_use_the_public_url(app, make, public_url, login_as):
    tenant = make.tenant()
    boss = make.user("boss@example.com", tenant=tenant, role="admin")
    assert boss
    client = login_as("boss@example.com")
    response = client.post(f"/t/{tenant.slug}/settings/users/invite",
                           data={"email": "new@example.com", "name": "新人", "role": "staff"},
                           headers={"Host": "localhost"})
    assert response.status_code == 302
    [mail] = [m for m in _mails() if m.recipient == "new@example.com"]
    assert all(link.startswith(PUBLIC + "/") for link in _links(mail.body)) and _links(mail.body)
    page = client.get("/deadlines").get_data(as_text=True)
    assert f"{PUBLIC}/calendar/" in page


@pytest.mark.parametrize("env, reason", [
    ({"APP_ENV": "production", "SECRET_KEY": "k" * 40, "REDIS_URL": "redis://x", "PUBLIC_URL": ""}, "PUBLIC_URL must be set"),
    ({"APP_ENV": "production", "SECRET_KEY": "k" * 40, "REDIS_URL": "redis://x", "PUBLIC_URL": "http://bases.example.cn"},
     "https"),
    ({"PUBLIC_URL": "bases.example.cn"}, "PUBLIC_URL must be an http(s) URL"),
    ({"PUBLIC_URL": "https://bases.example.cn/?next=x"}, "PUBLIC_URL must be an http(s) URL"),
])
def test_public_url_is_validated_at_start(monkeypatch, env, reason):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        create_app()
    assert reason in str(info.value)


def test_trusted_hosts_come_from_the_public_url_and_allowed_hosts(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    # REDIS_URL stays the suite's own server: the limiter's storage is shared by every app.
    monkeypatch.setenv("PUBLIC_URL", "https://bases.example.cn")
    monkeypatch.setenv("ALLOWED_HOSTS", "10.0.0.5, lb.internal")
    app = create_app()
    assert app.config["TRUSTED_HOSTS"] == ["bases.example.cn", "10.0.0.5", "lb.internal"]
    assert app.test_client().get("/livez", headers={"Host": "evil.example"}).status_code == 400
    assert app.test_client().get("/livez", headers={"Host": "bases.example.cn"}).status_code == 200


# --- 2. sign-in throttling ---------------------------------------------------------------------

def _post_login(app, email, password, addr="127.0.0.1", cookies=None):
    client = app.test_client()
    for name, value in (cookies or {}).items():
        client.set_cookie(name, value)
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def test_forty_parallel_guesses_check_only_ten_passwords(app, make, monkeypatch):
    make.user("victim@example.com")
    checked = []
    real = throttle.check_password

    def counting(user, password):
        checked.append(password)
        return real(user, password)

    monkeypatch.setattr(throttle, "check_password", counting)
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda i: _post_login(app, "victim@example.com", f"guess-{i}").status_code, range(40)))
    assert len(checked) == 10, len(checked)
    assert sorted(statuses) == [200] * 10 + [429] * 30


def test_refused_attempt_says_when_to_retry(app, make):
    make.user("victim@example.com")
    for _ in range(10):
        assert _post_login(app, "victim@example.com", "wrong").status_code == 200
    blocked = app.test_client().post("/login", data={"email": "victim@example.com", "password": Factory.PASSWORD},
                                     headers={"Accept-Language": "en"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert "Too many sign-in attempts" in blocked.get_data(as_text=True)


def test_one_address_guessing_across_accounts_is_limited(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_IP", "5 per 15 minutes")
    for n in range(7):
        make.user(f"u{n}@example.com")
    statuses = [_post_login(app, f"u{n}@example.com", "wrong", addr="203.0.113.9").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    # Another address is not affected, and a right password there signs in.
    assert _post_login(app, "u6@example.com", Factory.PASSWORD, addr="198.51.100.7").status_code == 302


def test_successful_sign_ins_give_their_attempt_back(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_IP", "3 per 15 minutes")
    make.user("busy@example.com")
    for _ in range(6):
        assert _post_login(app, "busy@example.com", Factory.PASSWORD).status_code == 302


def test_unknown_accounts_cost_a_password_hash_too(app, make, monkeypatch):
    make.user("real@example.com")
    hashed = []
    real = throttle.check_password_hash
    monkeypatch.setattr(throttle, "check_password_hash", lambda h, p: hashed.append(h) or real(h, p))
    assert _post_login(app, "nobody@example.com", "whatever").status_code == 200
    assert len(hashed) == 1 and hashed[0].startswith("pbkdf2:sha256")


def _lock_out(app, email, addr="203.0.113.66"):
    for _ in range(10):
        _post_login(app, email, "stranger-guess", addr=addr)
    assert _post_login(app, email, "stranger-guess", addr=addr).status_code == 429


def test_owner_on_a_known_address_is_not_locked_out_by_a_stranger(app, make):
    make.user("owner@example.com")
    assert _post_login(app, "owner@example.com", Factory.PASSWORD, addr="198.51.100.10").status_code == 302
    _lock_out(app, "owner@example.com")
    # A new device on the owner's usual address (no cookie) signs in.
    assert _post_login(app, "owner@example.com", Factory.PASSWORD, addr="198.51.100.10").status_code == 302
    # A new device on a new address does not.
    assert _post_login(app, "owner@example.com", Factory.PASSWORD, addr="192.0.2.77").status_code == 429


def test_owner_on_a_known_device_is_not_locked_out_by_a_stranger(app, make):
    make.user("owner@example.com")
    client = app.test_client()
    first = client.post("/login", data={"email": "owner@example.com", "password": Factory.PASSWORD},
                        environ_base={"REMOTE_ADDR": "198.51.100.10"})
    assert first.status_code == 302
    device = client.get_cookie(throttle.DEVICE_COOKIE)
    assert device is not None and device.http_only
    _lock_out(app, "owner@example.com")
    # The same laptop, now in a hotel (an address never seen).
    assert _post_login(app, "owner@example.com", Factory.PASSWORD, addr="192.0.2.77",
                       cookies={throttle.DEVICE_COOKIE: device.value}).status_code == 302
    # A made-up cookie value is a new device.
    assert _post_login(app, "owner@example.com", Factory.PASSWORD, addr="192.0.2.78",
                       cookies={throttle.DEVICE_COOKIE: "x" * 32}).status_code == 429


def test_owner_gets_back_in_through_a_reset_link(app, make):
    make.user("owner@example.com")
    _lock_out(app, "owner@example.com")
    client = app.test_client()
    assert client.post("/reset", data={"email": "owner@example.com"}).status_code == 302
    [mail] = _mails()
    link = urlsplit(_links(mail.body)[0]).path
    assert client.post(link, data={"password": "a-brand-new-one", "confirm": "a-brand-new-one"},
                       environ_base={"REMOTE_ADDR": "192.0.2.200"}).status_code == 302
    assert _post_login(app, "owner@example.com", "a-brand-new-one", addr="192.0.2.201").status_code == 302


def test_known_sources_are_stored_as_keyed_hashes(app, make):
    make.user("owner@example.com")
    assert _post_login(app, "owner@example.com", Factory.PASSWORD, addr="198.51.100.10").status_code == 302
    from saas.auth.models import KnownSignIn

    sources = list(db.session.scalars(sa.select(KnownSignIn.source)))
    assert len(sources) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", s) for s in sources)
    assert all("198.51.100.10" not in s for s in sources)


# --- 11. secrets in logs -----------------------------------------------------------------------

def test_tokens_in_paths_are_masked_in_the_request_log(app, make, caplog):
    user = make.user("u@example.com")
    from saas.auth.tokens import make_token

    with app.test_request_context():
        token = make_token(user, "reset")
    with caplog.at_level(logging.INFO):
        app.test_client().get(f"/reset/{token}")
        app.test_client().get(f"/calendar/{token}.ics")
        app.test_client().get(f"/invite/{token}")
        app.test_client().post("/reset", data={"email": "u@example.com"})  # kept mail is logged
    mailed = _links(_mails()[0].body)[0]
    assert urlsplit(mailed).path.split("/")[-1] not in "\n".join(r.getMessage() for r in caplog.records)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in text
    assert "/reset/[masked]" in text and "/calendar/[masked].ics" in text and "/invite/[masked]" in text


def test_werkzeug_access_lines_are_masked(app):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s',
                               ("127.0.0.1", "GET /reset/eyJ1Ijo.secret-Part_9 HTTP/1.1", "200"), None)
    for f in logging.getLogger("werkzeug").filters:
        f.filter(record)
    assert "secret" not in record.getMessage() and "/reset/[masked] HTTP/1.1" in record.getMessage()

