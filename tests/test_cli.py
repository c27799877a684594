"""The `flask` commands: bureaus, tenants, users, demo seed."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from saas.auth.models import Membership, User
from saas.demo import USERS
from saas.extensions import db
from saas.tenancy import Bureau, Tenant

from .conftest import login

PASSWORD = "secret-password-1"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        result = runner.invoke(args=list(args), input=input)
        result.app = app
        return result

    return invoke


def ok(result):
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result


def translations(app, message):
    """The message as the operator may see it: the English id or its Chinese translation."""
    with app.test_request_context():
        with force_locale("zh_CN"):
            chinese = gettext(message)
        with force_locale("en"):
            english = gettext(message)
    return {message, chinese, english}


def failed(result, message):
    assert result.exit_code != 0, result.output
    # A clean message for the operator, not a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert any(text in result.output for text in translations(result.app, message)), result.output
    return result


def snapshot(app):
    """Every row of every table (raw SQL, no tenant scope), keyed by table name."""
    with app.app_context(), db.engine.connect() as conn:
        rows = {}
        for table in db.metadata.sorted_tables:
            rows[table.name] = sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(table)))
        return rows


def counts(app):
    return {name: len(rows) for name, rows in snapshot(app).items()}


def memberships(app):
    with app.app_context(), db.engine.connect() as conn:
        u, t, m = User.__table__, Tenant.__table__, Membership.__table__
        return set(conn.execute(sa.select(u.c.email, t.c.slug, m.c.role)
                                .join(u, u.c.id == m.c.user_id).join(t, t.c.id == m.c.tenant_id)).all())


def password_hashes(app):
    with app.app_context(), db.engine.connect() as conn:
        return dict(conn.execute(sa.select(User.__table__.c.email, User.__table__.c.password_hash)).all())


def get_bureau(app, name):
    with app.app_context():
        bureau = db.session.scalar(sa.select(Bureau).where(Bureau.name == name))
        return bureau and (bureau.id, bureau.level, bureau.parent.name if bureau.parent else None)


@pytest.fixture
def bureaus(cli):
    ok(cli("bureaus", "create", "武汉市市场监督管理局", "--level", "city"))
    ok(cli("bureaus", "create", "江岸区市场监督管理局", "--level", "district", "--parent", "武汉市市场监督管理局"))


# Bureaus ---------------------------------------------------------------------------------------

def test_bureaus_create(app, cli):
    result = ok(cli("bureaus", "create", "武汉市市场监督管理局", "--level", "city"))
    assert "武汉市市场监督管理局 (city)" in result.output
    city_id, level, parent = get_bureau(app, "武汉市市场监督管理局")
    assert (level, parent) == ("city", None)

    result = ok(cli("bureaus", "create", "江岸区市场监督管理局", "--level", "district",
                    "--parent", "武汉市市场监督管理局"))
    assert "(district)" in result.output
    assert get_bureau(app, "江岸区市场监督管理局")[1:] == ("district", "武汉市市场监督管理局")


def test_bureaus_create_errors_write_nothing(app, cli, bureaus):
    before = snapshot(app)
    failed(cli("bureaus", "create", "某区局", "--level", "district", "--parent", "没有这个局"), "no bureau named")
    failed(cli("bureaus", "create", "武汉市市场监督管理局", "--level", "city"),
           "A bureau with this name already exists.")
    failed(cli("bureaus", "create", "某市局", "--level", "city", "--parent", "江岸区市场监督管理局"),
           "The parent bureau must be of a higher level.")
    result = cli("bureaus", "create", "某局", "--level", "county")
    assert result.exit_code == 2  # click refuses the choice
    assert snapshot(app) == before


# Tenants ---------------------------------------------------------------------------------------

def test_tenants_create(app, cli, bureaus):
    result = ok(cli("tenants", "create", "optics-valley", "--name", "光谷生物医药产业园", "--kind", "park",
                    "--bureau", "江岸区市场监督管理局", "--region", "湖北省武汉市"))
    assert "optics-valley" in result.output
    with app.app_context():
        tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "optics-valley"))
        assert (tenant.name, tenant.kind, tenant.region, tenant.status) == \
            ("光谷生物医药产业园", "park", "湖北省武汉市", "active")
        assert tenant.bureau.name == "江岸区市场监督管理局"
    ok(cli("tenants", "create", "assoc", "--name", "协会", "--kind", "association"))
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == "assoc")).bureau_id is None


def test_tenants_create_errors_write_nothing(app, cli, bureaus):
    ok(cli("tenants", "create", "taken", "--name", "已有", "--kind", "park"))
    before = snapshot(app)
    failed(cli("tenants", "create", "new-one", "--name", "新", "--kind", "park", "--bureau", "没有这个局"),
           "no bureau named")
    failed(cli("tenants", "create", "taken", "--name", "重复", "--kind", "park"), "This short name is taken.")
    failed(cli("tenants", "create", "Bad Slug!", "--name", "坏", "--kind", "park"),
           "The short name may use lower-case letters, digits and dashes only.")
    assert cli("tenants", "create", "x", "--name", "X", "--kind", "factory").exit_code == 2
    assert cli("tenants", "create", "x", "--kind", "park").exit_code == 2  # --name is required
    assert snapshot(app) == before


# Users -----------------------------------------------------------------------------------------

def test_users_create_with_password_on_stdin(app, cli):
    result = ok(cli("users", "create", "Person@Example.com", "--name", "某人", input=PASSWORD + "\n"))
    assert "person@example.com" in result.output
    assert "password:" not in result.output
    client = login(app.test_client(), "person@example.com", PASSWORD)
    assert client.get("/account").status_code == 200
    with app.app_context():
        user = User.by_email("person@example.com")
        assert (user.name, user.is_platform_admin, user.bureau_id) == ("某人", False, None)


def test_users_create_generates_a_password(app, cli):
    result = ok(cli("users", "create", "gen@example.com", "--name", "生成"))
    match = re.search(r"^password: (\S+)$", result.output, re.M)
    assert match, result.output
    assert len(match.group(1)) >= 12
    login(app.test_client(), "gen@example.com", match.group(1))
    # The generated password is not something else that happens to work.
    response = app.test_client().post("/login", data={"email": "gen@example.com", "password": PASSWORD})
    assert response.status_code == 200


def test_users_create_platform_admin(app, cli):
    ok(cli("users", "create", "root@example.com", "--name", "Root", "--platform-admin", input=PASSWORD + "\n"))
    client = login(app.test_client(), "root@example.com", PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_users_create_with_bureau_role(app, cli, bureaus):
    ok(cli("users", "create", "reviewer@example.com", "--name", "审核员", "--bureau", "江岸区市场监督管理局",
           "--bureau-role", "reviewer", input=PASSWORD + "\n"))
    with app.app_context():
        user = User.by_email("reviewer@example.com")
        assert user.bureau.name == "江岸区市场监督管理局"
        assert user.bureau_role == "reviewer" and user.is_reviewer


def test_users_create_errors_write_nothing(app, cli, bureaus):
    ok(cli("users", "create", "dup@example.com", "--name", "原名", input=PASSWORD + "\n"))
    before = snapshot(app)
    failed(cli("users", "create", "DUP@example.com", "--name", "重复", input="another-password\n"),
           "A user with this email already exists.")
    failed(cli("users", "create", "new@example.com", "--name", "新", "--bureau", "没有这个局",
               "--bureau-role", "reviewer", input=PASSWORD + "\n"), "no bureau named")
    failed(cli("users", "create", "new@example.com", "--name", "新", "--bureau-role", "reviewer",
               input=PASSWORD + "\n"), "A bureau role needs a bureau.")
    assert cli("users", "create", "new@example.com", "--name", "新", "--bureau-role", "boss").exit_code == 2
    assert snapshot(app) == before
    login(app.test_client(), "dup@example.com", PASSWORD)  # the original password still works


def test_users_grant(app, cli):
    ok(cli("tenants", "create", "park", "--name", "园区", "--kind", "park"))
    ok(cli("users", "create", "member@example.com", "--name", "成员", input=PASSWORD + "\n"))
    result = ok(cli("users", "grant", "member@example.com", "--tenant", "park", "--role", "staff"))
    assert "staff" in result.output and "park" in result.output
    assert memberships(app) == {("member@example.com", "park", "staff")}
    client = login(app.test_client(), "member@example.com", PASSWORD)
    assert client.get("/t/park/").status_code == 200
    # Granting again replaces the role.
    ok(cli("users", "grant", "member@example.com", "--tenant", "park", "--role", "admin"))
    assert memberships(app) == {("member@example.com", "park", "admin")}


def test_users_grant_errors_write_nothing(app, cli):
    ok(cli("tenants", "create", "park", "--name", "园区", "--kind", "park"))
    ok(cli("users", "create", "member@example.com", "--name", "成员", input=PASSWORD + "\n"))
    before = snapshot(app)
    failed(cli("users", "grant", "member@example.com", "--tenant", "no-such", "--role", "staff"), "no tenant")
    failed(cli("users", "grant", "ghost@example.com", "--tenant", "park", "--role", "staff"), "no user")
    failed(cli("users", "grant", "member@example.com", "--tenant", "park", "--role", "enterprise"),
           "An enterprise user must be bound to a member enterprise.")
    assert cli("users", "grant", "member@example.com", "--tenant", "park", "--role", "owner").exit_code == 2
    assert snapshot(app) == before


# Demo ------------------------------------------------------------------------------------------

def printed_logins(output: str) -> list[str]:
    return re.findall(r"^\s+(\S+@\S+)\s", output, re.M)


def test_demo_seed_is_idempotent(app, cli):
    first = ok(cli("demo", "seed"))
    state = (counts(app), memberships(app), password_hashes(app), snapshot(app))
    assert state[0]["user"] == len(printed_logins(first.output)) >= len(USERS)
    assert state[0]["tenant"] >= 2 and state[0]["bureau"] >= 3
    assert all(state[2].values())  # every demo user has a password

    second = ok(cli("demo", "seed"))
    assert counts(app) == state[0]
    assert memberships(app) == state[1]
    assert password_hashes(app) == state[2]
    assert snapshot(app) == state[3]

    for result in (first, second):
        assert "Demo logins" in result.output
        for email, *_ in USERS:
            assert email in result.output


def test_demo_logins_work(app, cli):
    output = ok(cli("demo", "seed")).output
    password = app.config["DEMO_PASSWORD"]
    assert password in output
    emails = printed_logins(output)
    assert len(emails) >= len(USERS) and {e for e, *_ in USERS} <= set(emails)
    for email in emails:
        client = login(app.test_client(), email, password)
        assert client.get("/account").status_code == 200, email
    # The roles printed are the roles given.
    assert login(app.test_client(), "platform@demo.example", password).get("/admin/").status_code == 200
    assert login(app.test_client(), "admin@demo.example", password).get(
        "/t/optics-valley/settings/users").status_code == 200
    assert login(app.test_client(), "staff@demo.example", password).get(
        "/t/optics-valley/settings/users").status_code == 403
    assert login(app.test_client(), "city-reviewer@demo.example", password).get(
        "/t/wh-software/").status_code == 200


def test_demo_seed_completes_partial_data(app, cli):
    """A demo user created by hand keeps their password; the missing pieces are added."""
    ok(cli("bureaus", "create", "武汉市市场监督管理局", "--level", "city"))
    ok(cli("users", "create", "admin@demo.example", "--name", "自建", input=PASSWORD + "\n"))
    output = ok(cli("demo", "seed")).output
    login(app.test_client(), "admin@demo.example", PASSWORD)
    assert ("admin@demo.example", "optics-valley", "admin") in memberships(app)
    assert counts(app)["user"] == len(printed_logins(output))


def test_users_grant_enterprise_by_credit_code(app, cli, make):
    from .factories import credit_code_for

    ok(cli("tenants", "create", "park", "--name", "园区", "--kind", "park"))
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "park"))
    mine = make.enterprise(tenant, name="甲公司", credit_code=credit_code_for(7))
    other = make.enterprise(tenant, name="乙公司")
    ok(cli("users", "create", "liaison@example.com", "--name", "联络员", input=PASSWORD + "\n"))
    before = snapshot(app)
    failed(cli("users", "grant", "liaison@example.com", "--tenant", "park", "--role", "enterprise",
               "--enterprise", credit_code_for(8)), "no member enterprise")
    failed(cli("users", "grant", "liaison@example.com", "--tenant", "park", "--role", "enterprise",
               "--enterprise", "123"), "18")
    assert snapshot(app) == before
    # Lower case and spaces are normalised like everywhere else.
    ok(cli("users", "grant", "liaison@example.com", "--tenant", "park", "--role", "enterprise",
           "--enterprise", " " + credit_code_for(7).lower()))
    client = login(app.test_client(), "liaison@example.com", PASSWORD)
    assert client.get(f"/t/park/members/{mine}").status_code == 200
    assert client.get(f"/t/park/members/{other}").status_code == 404
