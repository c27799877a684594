"""Property-based attack on every form and every JSON body (issue 18): arbitrary strings, control
characters, absurd numbers (10^30, 5,000 digits, inf, nan), bad dates and hostile files sent to
every field — no answer is a 5xx, and no JSON answer carries `Infinity` or `NaN`.

How the fields are found: every GET page of the app is opened (with real ids in every URL
argument, as the isolation tests do) and its HTML forms are read — the action they post to and
their inputs, selects (with their options) and textareas. Each POST route is then sent
Hypothesis-generated values for the fields of the forms that post to it, as the role that may
use it. JSON bodies come from the OpenAPI document's request schemas. Bounded for CI: a few
examples per route, derandomized, so a failure is reproducible.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saas.api import tokens as api_tokens
from saas.api.openapi import document
from saas.auth.permissions import PERMISSIONS
from saas.extensions import db

from .conftest import login
from .factories import Factory
from .test_isolation import build, two_tenants  # noqa: F401  (fixture)

EXAMPLES = 6

ABSURD = ["", " ", "\x0b", "a\x1fb", "\ufffe", "inf", "-inf", "nan", "NaN", "1e309", "-1e309", "99999", "-5",
          "0", "-0", "2147483648", "-2147483649", str(10**30), "9" * 5000, "1.5", "0x1F", "１２３",
          "2025-13-45", "0000-00-00", "9999-12-31", "-0001-01-01", "=HYPERLINK(\"http://x\",\"y\")",
          "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%s%n", "\u202e", "x" * 20000]
HOSTILE = st.one_of(st.sampled_from(ABSURD), st.text(max_size=40),
                    st.integers(min_value=-10**40, max_value=10**40).map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr))
FILES = st.one_of(st.binary(max_size=300), st.sampled_from([
    b"PK\x03\x04" + b"\x00" * 100, b"%PDF-1.4\n%%EOF", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64]))
# Routes a generated value must not reach: signing the client out ends its session, not a defect.
SKIP = {"auth.logout"}
# Routes that take access away from the fuzzing users (deactivate, remove, change a role): last.
LAST = ("admin.set_active", "settings.remove_user", "settings.set_role")


class Forms(HTMLParser):
    """POST forms of a page: action path → {field name: [option values] or None, ...}."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path, self.forms, self._current, self._select = page_path, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            action = urlsplit(a.get("action") or self.page_path).path
            self._current = (action, {}, {})
            self.forms.append(self._current)
        elif self._current is None or not a.get("name") or a.get("name") == "csrf_token":
            if tag == "option" and self._select is not None:
                self._current[1][self._select].append(a.get("value", ""))
            return
        elif tag in ("input", "textarea"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            self._current[1].setdefault(a["name"], None)
            self._current[2][a["name"]] = kind
        elif tag == "select":
            self._select = a["name"]
            self._current[1][a["name"]] = []
            self._current[2][a["name"]] = "select"

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


@pytest.fixture
def world(app, make, two_tenants):  # noqa: F811
    """Tenant A of the isolation fixture, reachable by every role: an enterprise user of A and a
    reviewer of A's bureau besides its admin, staff and instructor; a platform admin."""
    a, _b, ids = two_tenants
    from saas.auth.services import grant
    from saas.tenancy import Bureau

    bureau = make.bureau("模糊测试区市场监督管理局")
    a.bureau_id = bureau.id
    db.session.add(a)
    db.session.commit()
    grant(make.user("enterprise-a@example.com"), a, "enterprise", ids["enterprise_id"])
    make.user("reviewer-a@example.com", bureau=db.session.get(Bureau, bureau.id), bureau_role="reviewer")
    make.user("platform@example.com", platform_admin=True)
    db.session.commit()
    ids.update(tenant_id=a.id, bureau_id=bureau.id, token="not-a-real-token", answer="accept",
               invitation_id=ids.get("invitation_id", 1))
    return a, ids


ROLE_USERS = {"admin": "admin-a@example.com", "staff": "staff-a@example.com", "instructor": "ins-a@example.com",
              "enterprise": "enterprise-a@example.com", "reviewer": "reviewer-a@example.com"}


def _who(app, rule) -> str | None:
    if rule.rule.startswith("/admin"):
        return "platform@example.com"
    if rule.rule.startswith("/bureau"):
        return "reviewer-a@example.com"
    if not rule.rule.startswith("/t/"):
        return "admin-a@example.com"
    action = getattr(app.view_functions[rule.endpoint], "required_action", None)
    for role in ("admin", "staff", "instructor", "enterprise", "reviewer"):
        if action is None or action in PERMISSIONS[role]:
            return ROLE_USERS[role]
    return None


def _url(rule, slug, ids):
    ids = {**ids, "year": 2025, "version": 1, "code": "cq-park", "item_code": "1"}
    return build(rule, slug, ids)


def _rules(app, method):
    return [r for r in app.url_map.iter_rules()
            if method in r.methods and r.endpoint not in SKIP and not r.rule.startswith(("/api/", "/static", "/bootstrap"))]


def _crawl(app, slug, ids) -> dict[str, list[tuple[dict, dict]]]:
    """Every form found on every GET page, by the path it posts to."""
    found: dict[str, list[tuple[dict, dict]]] = {}
    clients = {}
    for rule in _rules(app, "GET"):
        who = _who(app, rule)
        if who is None or rule.endpoint == "static":
            continue
        try:
            url = _url(rule, slug, ids)
        except KeyError:
            continue
        client = clients.get(who) or clients.setdefault(who, login(app.test_client(), who))
        response = client.get(url)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        parser = Forms(urlsplit(url).path)
        parser.feed(response.get_data(as_text=True))
        for action, fields, kinds in parser.forms:
            found.setdefault(action, []).append((fields, kinds))
    return found


def _values(fields: dict, kinds: dict):
    """A strategy for one submission of a form: hostile text everywhere, real options half the
    time for selects (so the other fields get past the choice checks), bytes for files."""
    parts = {}
    for name, options in fields.items():
        if kinds.get(name) == "file":
            parts[name] = FILES.map(lambda data: (io.BytesIO(data), "upload.xlsx"))
        elif options:
            parts[name] = st.one_of(st.sampled_from(options), HOSTILE)
        elif kinds.get(name) == "checkbox":
            parts[name] = st.sampled_from(["y", "", "on", "\x0b"])
        else:
            parts[name] = HOSTILE
    return st.fixed_dictionaries(parts)


def test_no_form_field_value_gives_a_server_error(app, world):
    tenant, ids = world
    forms = _crawl(app, tenant.slug, ids)
    assert len(forms) >= 40, sorted(forms)
    failures, covered = [], 0
    for rule in sorted(_rules(app, "POST"), key=lambda r: r.endpoint in LAST):
        who = _who(app, rule)
        try:
            url = _url(rule, tenant.slug, ids)
        except KeyError:
            continue
        variants = forms.get(urlsplit(url).path) or [({"name": None, "value": None, "comment": None}, {})]
        for fields, kinds in variants[:2]:
            covered += 1
            client = app.test_client()
            if who:
                client.post("/login", data={"email": who, "password": Factory.PASSWORD})

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(data=_values(fields, kinds))
            def property_(data):
                response = client.post(url, data=data, content_type="multipart/form-data")
                if response.status_code >= 500:
                    failures.append((rule.rule, {k: (v if not isinstance(v, tuple) else "<file>") for k, v in data.items()},
                                     response.status_code))
                    raise AssertionError(rule.rule)

            try:
                property_()
            except AssertionError:
                pass
            db.session.remove()
    assert covered >= 60
    assert not failures, "\n".join(f"{rule} {status}: {data!r:.400}" for rule, data, status in failures)


# --- JSON bodies ---------------------------------------------------------------------------------

def _resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _json_value(schema: dict, doc: dict, depth: int = 0):
    schema = _resolve(schema, doc)
    hostile = st.one_of(st.sampled_from([*ABSURD, 10**30, -10**30, int("9" * 400), 1e308, -1.5, 0, True, None,
                                         float("inf"), float("nan"), [], {}]), st.text(max_size=30),
                        st.integers(min_value=-10**40, max_value=10**40))
    if depth < 2 and schema.get("type") == "object" and schema.get("properties"):
        return st.fixed_dictionaries({k: st.one_of(_json_value(v, doc, depth + 1), hostile)
                                      for k, v in schema["properties"].items()})
    if depth < 2 and schema.get("type") == "array" and "items" in schema:
        return st.lists(st.one_of(_json_value(schema["items"], doc, depth + 1), hostile), max_size=3)
    return hostile


def _json_operations():
    doc = document()
    out = []
    for path, ops in sorted(doc["paths"].items()):
        for method, op in ops.items():
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            if method in ("post", "put", "patch") and body:
                out.append((method.upper(), path, body["schema"]))
    return out


def test_every_json_body_field_is_fuzzed():
    assert len(_json_operations()) >= 8


def test_no_json_field_value_gives_a_server_error_or_invalid_json(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    tenant, ids = world
    from saas.auth.models import User
    from saas.tenancy import Tenant

    admin = User.by_email("admin-a@example.com")
    _token, raw = api_tokens.issue(admin, db.session.get(Tenant, tenant.id), "fuzz")
    reviewer = User.by_email("reviewer-a@example.com")
    _token, reviewer_raw = api_tokens.issue(reviewer, db.session.get(Tenant, tenant.id), "fuzz-bureau")
    db.session.commit()
    doc = document()
    failures = []
    client = app.test_client()
    for method, path, schema in _json_operations():
        url = "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: str({**ids, "tenant_slug": tenant.slug, "year": 2025,
                                                              "version": 1}.get(m.group(1), 1)), path)
        token = reviewer_raw if path.startswith("/bureaus") else raw

        @settings(max_examples=EXAMPLES * 2, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(body=_json_value(schema, doc))
        def property_(body):
            # allow_nan: the wire carries Infinity and NaN literals, as a hostile client may send.
            response = client.open(url, method=method, data=json.dumps(body, allow_nan=True),
                                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            text = response.get_data(as_text=True)
            bad = response.status_code >= 500
            if not bad and "json" in (response.content_type or ""):
                try:
                    json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
                except ValueError:
                    bad = True
            if bad:
                failures.append((method, path, response.status_code, json.dumps(body, allow_nan=True)[:300]))
                raise AssertionError(path)

        try:
            property_()
        except AssertionError:
            pass
        db.session.remove()
    assert not failures, "\n".join(map(str, failures))
