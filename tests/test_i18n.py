"""Chinese first, English complete: catalogues complete and in step with the code; locale order."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from saas.extensions import db
from saas.translations_cli import untranslated

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("saas/**.py", "python"), ("tenants/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_message_is_translated(locale):
    assert untranslated(locale) == []


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_catalogues_hold_every_message_in_the_code(locale):
    in_code = {msg[2] if isinstance(msg[2], str) else msg[2][0]
               for msg in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS)}
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalogued = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    missing = sorted(in_code - catalogued)
    assert not missing, f"run `make i18n` and translate: {missing[:10]}"
    assert len(in_code) > 100


def test_zh_cn_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and 'lang="zh-CN"' in page


def test_accept_language_then_tenant_default_then_user_preference(app, make, login_as):
    tenant = make.tenant(slug="en-park", default_locale="en")
    make.user("u@example.com", tenant=tenant, role="admin")
    assert "Sign in" in app.test_client().get("/login", headers={"Accept-Language": "en-GB,en"}).get_data(as_text=True)
    client = login_as("u@example.com")
    assert "Overview" in client.get(f"/t/{tenant.slug}/").get_data(as_text=True)  # tenant default
    # A personal choice beats the tenant's default and is remembered on the account.
    assert client.post("/lang/zh_CN", data={"next": f"/t/{tenant.slug}/"}).headers["Location"] == f"/t/{tenant.slug}/"
    assert "概览" in client.get(f"/t/{tenant.slug}/").get_data(as_text=True)
    from saas.auth.models import User

    db.session.expire_all()
    assert User.by_email("u@example.com").locale == "zh_CN"


def test_language_switch_ignores_unknown_codes_and_foreign_next(client):
    response = client.post("/lang/xx", data={"next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
