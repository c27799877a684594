"""Tenant isolation: another tenant's pages and objects answer 404, and the ORM scope holds.

The URL-map test enumerates every rule under /t/ so that a new route cannot escape: a rule
whose arguments this file cannot fill with a real object id of tenant A fails the suite.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.auth.models import Membership
from saas.extensions import db
from saas.files import Attachment
from saas.jobs import JobRecord
from saas.tenancy import TenantScopeError, cross_tenant_reads, tenant_scope

from tenants.members.models import Vulnerability


@pytest.fixture
def two_tenants(app, make):
    bureau_b = make.bureau("乙区市场监督管理局")
    a, b = make.tenant(slug="tenant-a"), make.tenant(slug="tenant-b", bureau=bureau_b)
    make.user("reviewer-b@example.com", bureau=bureau_b, bureau_role="reviewer")
    make.user("admin-a@example.com", tenant=a, role="admin")
    staff_a = make.user("staff-a@example.com", tenant=a, role="staff")
    make.user("admin-b@example.com", tenant=b, role="admin")
    make.user("staff-b@example.com", tenant=b, role="staff")
    make.user("instructor-b@example.com", tenant=b, role="instructor")
    enterprise_id = make.enterprise(a)
    from saas.auth.services import grant

    grant(make.user("enterprise-b@example.com"), b, "enterprise", make.enterprise(b))
    db.session.commit()
    instructor = make.user("ins-a@example.com", tenant=a, role="instructor")
    instructor_id = instructor.id
    with tenant_scope(a.id):
        attachment = Attachment(owner_type="enterprise", owner_id=enterprise_id, filename="制度.pdf",
                                stored_name=f"{a.id}/files/x.pdf", content_type="application/pdf", size=1, sha256="0")
        vulnerability = Vulnerability(enterprise_id=enterprise_id, item="研发图纸外发")
        db.session.add_all([attachment, vulnerability])
        extra = make.feature_rows(enterprise_id, instructor_id)
        job = JobRecord(task="tenants.settings.tasks:export_users", key="k", permission="users.manage",
                        status="done", result={"file": f"{a.id}/exports/x.xlsx", "filename": "x.xlsx"})
        db.session.add(job)
        db.session.commit()
        ids = {
            "membership_id": db.session.scalar(sa.select(Membership.id).where(Membership.user_id == staff_a.id)),
            "job_id": job.id,
            "enterprise_id": enterprise_id,
            "attachment_id": attachment.id,
            "vulnerability_id": vulnerability.id,
            "year": 2025,
            "user_id": instructor_id,
            # Keys that are not objects of A (a scheme, an item, a year): every tenant has them.
            "code": "cq-park",
            "item_code": "1",
            **extra,
        }
    return a, b, ids


def tenant_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/t/")]


def build(rule, slug, ids):
    url = rule.rule.replace("<tenant_slug>", slug)
    for arg in rule.arguments - {"tenant_slug"}:
        converter = rule._converters[arg]
        placeholder = f"<{type(converter).__name__.replace('Converter', '').lower()}:{arg}>"
        placeholder = placeholder.replace("<integer:", "<int:")
        url = url.replace(placeholder, str(ids[arg])).replace(f"<{arg}>", str(ids[arg]))
    return url


def test_every_tenant_rule_is_covered(app, two_tenants):
    _, _, ids = two_tenants
    rules = tenant_rules(app)
    assert len(rules) >= 10
    uncovered = [r.rule for r in rules if not (r.arguments - {"tenant_slug"}) <= ids.keys()]
    assert not uncovered, f"add real ids for these rules to the isolation fixture: {uncovered}"


B_ROLES = ("admin", "staff", "instructor", "enterprise", "reviewer")


def test_user_of_b_gets_404_on_every_url_of_a(app, two_tenants, login_as):
    """For every rule, a user of B whose role may do the action (so the object lookup is
    reached, not refused earlier) gets 404 for A's objects — under A's slug and under B's."""
    from saas.auth.permissions import PERMISSIONS

    a, b, ids = two_tenants
    clients = {role: login_as(f"{role}-b@example.com") for role in B_ROLES}
    checked = 0
    for rule in tenant_rules(app):
        action = app.view_functions[rule.endpoint].required_action
        role = next(r for r in B_ROLES if action in PERMISSIONS[r])
        client = clients[role]
        for method in ("GET", "POST"):
            if method not in rule.methods:
                continue
            # A's slug: nobody of B has a role there.
            response = client.open(build(rule, a.slug, ids), method=method)
            assert response.status_code == 404, (method, rule.rule, role, response.status_code)
            # B's own slug with A's object ids: the objects are not B's.
            if any(arg.endswith("_id") for arg in rule.arguments):
                response = client.open(build(rule, b.slug, ids), method=method)
                assert response.status_code == 404, (method, rule.rule, role, "B slug", response.status_code)
            checked += 1
    assert checked >= 40


def test_member_of_a_reaches_a(app, two_tenants, login_as):
    a, _, ids = two_tenants
    client = login_as("admin-a@example.com")
    assert client.get(f"/t/{a.slug}/settings/users").status_code == 200
    assert client.get(f"/t/{a.slug}/jobs/{ids['job_id']}").status_code == 200


def test_unknown_tenant_and_no_role_look_the_same(two_tenants, login_as):
    a, _, _ = two_tenants
    client = login_as("admin-b@example.com")
    unknown = client.get("/t/no-such-tenant/")
    foreign = client.get(f"/t/{a.slug}/")
    assert unknown.status_code == foreign.status_code == 404


def test_suspended_tenant_is_404_even_for_members(app, two_tenants, login_as, make):
    a, _, _ = two_tenants
    a.status = "suspended"
    db.session.commit()
    assert login_as("admin-a@example.com").get(f"/t/{a.slug}/").status_code == 404


def test_anonymous_is_sent_to_login(client, two_tenants):
    a, _, _ = two_tenants
    response = client.get(f"/t/{a.slug}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_raw_select_in_scope_of_a_never_returns_b_rows(two_tenants):
    a, b, _ = two_tenants
    with tenant_scope(a.id):
        rows = db.session.scalars(sa.select(Membership)).all()
        assert rows and {m.tenant_id for m in rows} == {a.id}
        # Joins and aliases are filtered too.
        alias = sa.orm.aliased(Membership)
        joined = db.session.execute(sa.select(Membership.id, alias.id).join(alias, alias.user_id == Membership.user_id)).all()
        assert len(joined) == len(rows)
        # A primary-key lookup of B's row does not leak it.
        b_id = db.session.execute(sa.text("SELECT id FROM membership WHERE tenant_id = :t"), {"t": b.id}).scalar()
        db.session.expunge_all()
        assert db.session.get(Membership, b_id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == len(rows)


def test_a_statement_kept_between_requests_reads_each_tenant_its_own_rows(two_tenants, make):
    """Statements built once (functools.lru_cache) get their scoped copies kept per tenant
    (saas.tenancy.scoped): run in turn for more tenants than it keeps, each reads its own rows."""
    from saas import tenancy

    tenants = [two_tenants[0], two_tenants[1]] + [make.tenant(slug=f"kept-{i}") for i in range(tenancy._SCOPED_TENANTS + 1)]
    counting = sa.select(sa.func.count(Membership.id), sa.func.min(Membership.tenant_id), sa.func.max(Membership.tenant_id))
    with cross_tenant_reads("the expected counts"):
        expected = dict(db.session.execute(sa.select(Membership.tenant_id, sa.func.count())
                                           .group_by(Membership.tenant_id)).all())
    for _round in range(2):
        for tenant in tenants + tenants[::-1]:
            with tenant_scope(tenant.id):
                n, low, high = db.session.execute(counting).one()
            assert n == expected.get(tenant.id, 0)
            assert low == high == (tenant.id if n else None)
    assert 0 < len(tenancy._SCOPED[counting]) <= tenancy._SCOPED_TENANTS


def test_no_scope_fails_closed_and_escape_hatch_is_explicit(two_tenants):
    a, b, _ = two_tenants
    expected = {a.id, b.id}
    db.session.expunge_all()
    with pytest.raises(TenantScopeError):
        db.session.scalars(sa.select(Membership)).all()
    with cross_tenant_reads("test: count every membership"):
        assert {m.tenant_id for m in db.session.scalars(sa.select(Membership))} == expected


def test_writing_another_tenants_row_is_refused(two_tenants):
    a, b, _ = two_tenants
    with cross_tenant_reads("test: fetch a row of B"):
        b_row = db.session.scalars(sa.select(Membership).where(Membership.tenant_id == b.id)).first()
    with tenant_scope(a.id):
        b_row.role = "admin"
        with pytest.raises(TenantScopeError):
            db.session.flush()
    db.session.rollback()


def test_new_rows_get_the_tenant_of_the_scope(two_tenants, make):
    a, _, _ = two_tenants
    a_id = a.id
    user = make.user("new@example.com")
    user_id = user.id
    with tenant_scope(a_id):
        m = Membership(user_id=user_id, role="staff")
        db.session.add(m)
        db.session.commit()
        assert m.tenant_id == a_id
    db.session.expunge_all()
    with pytest.raises(TenantScopeError):
        db.session.add(Membership(user_id=user_id, role="staff"))
        db.session.flush()
    db.session.rollback()
