"""Roles: every tenant view declares an action, and each role gets exactly what PERMISSIONS says."""

from __future__ import annotations

import pytest

from saas.auth.permissions import PERMISSIONS, ROLES
from saas.extensions import db
from saas.jobs import JobRecord
from saas.tenancy import tenant_scope

from .test_isolation import build, tenant_rules


def test_every_tenant_view_declares_an_action(app):
    missing = [r.endpoint for r in tenant_rules(app)
               if not hasattr(app.view_functions[r.endpoint], "required_action")]
    assert not missing, f"tenant views without @permission_required: {missing}"


@pytest.fixture
def tenant_with_every_role(make):
    city = make.bureau("市局", level="city")
    district = make.bureau("区局", level="district", parent=city)
    tenant = make.tenant(slug="roles", bureau=district)
    users = {role: make.user(f"{role}@example.com", tenant=tenant, role=role)
             for role in ("admin", "staff", "instructor")}
    enterprise_id = make.enterprise(tenant)
    users["enterprise"] = make.user("enterprise@example.com")
    from saas.auth.services import grant

    grant(users["enterprise"], tenant, "enterprise", enterprise_id=enterprise_id)
    users["reviewer"] = make.user("reviewer@example.com", bureau=district, bureau_role="reviewer")
    victim = make.user("victim@example.com", tenant=tenant, role="staff")
    with tenant_scope(tenant.id):
        job = JobRecord(task="tenants.settings.tasks:export_users", key="k", permission="jobs.view",
                        status="running")
        db.session.add(job)
        db.session.commit()
        from saas.auth.models import Membership

        membership_id = db.session.query(Membership.id).filter_by(user_id=victim.id).scalar()
        from saas.files import Attachment
        from tenants.members.models import Vulnerability

        attachment = Attachment(owner_type="enterprise", owner_id=enterprise_id, filename="a.pdf",
                                stored_name="none.pdf", content_type="application/pdf", size=1, sha256="0")
        vulnerability = Vulnerability(enterprise_id=enterprise_id, item="x")
        db.session.add_all([attachment, vulnerability])
        db.session.commit()
        ids = {"job_id": job.id, "membership_id": membership_id, "enterprise_id": enterprise_id,
               "attachment_id": attachment.id, "vulnerability_id": vulnerability.id, "year": 2025,
               "user_id": users["instructor"].id, "code": "cq-park", "item_code": "1",
               **make.feature_rows(enterprise_id, users["instructor"].id)}
    db.session.commit()
    return tenant, users, ids


@pytest.mark.parametrize("role", ROLES)
def test_role_sees_what_the_table_allows(app, tenant_with_every_role, login_as, role):
    tenant, _, ids = tenant_with_every_role
    client = login_as(f"{role}@example.com")
    allowed_seen = refused_seen = 0
    for rule in tenant_rules(app):
        action = app.view_functions[rule.endpoint].required_action
        method = "GET" if "GET" in rule.methods else "POST"
        if rule.endpoint in ("settings.remove_user", "jobs.retry") and method == "POST":
            continue
        url = build(rule, tenant.slug, ids)
        response = client.open(url, method=method)
        if action in PERMISSIONS[role]:
            assert response.status_code != 403, (role, rule.rule, response.status_code)
            assert response.status_code < 500
            allowed_seen += 1
        else:
            assert response.status_code == 403, (role, rule.rule, response.status_code)
            refused_seen += 1
    assert allowed_seen >= 1  # every role reaches at least the overview
    if role != "admin":
        assert refused_seen >= 1


def test_reviewer_reach_follows_jurisdiction(make, login_as):
    city = make.bureau("市局A", level="city")
    district = make.bureau("区局A", level="district", parent=city)
    other_district = make.bureau("区局B", level="district", parent=city)
    inside = make.tenant(slug="inside", bureau=district)
    elsewhere = make.tenant(slug="elsewhere", bureau=other_district)
    make.user("district-rev@example.com", bureau=district, bureau_role="reviewer")
    make.user("city-rev@example.com", bureau=city, bureau_role="reviewer")
    district_reviewer = login_as("district-rev@example.com")
    assert district_reviewer.get("/t/inside/").status_code == 200
    assert district_reviewer.get("/t/elsewhere/").status_code == 404
    city_reviewer = login_as("city-rev@example.com")
    assert city_reviewer.get("/t/inside/").status_code == 200
    assert city_reviewer.get("/t/elsewhere/").status_code == 200
    # Read-only: no settings, no writes.
    assert city_reviewer.get("/t/inside/settings/users").status_code == 403
    home = city_reviewer.get("/tenants").get_data(as_text=True)
    assert inside.name in home and elsewhere.name in home


def test_platform_admin_sees_no_tenant_data_without_a_role(make, login_as):
    make.tenant(slug="private")
    make.user("root@example.com", platform_admin=True)
    client = login_as("root@example.com")
    assert client.get("/t/private/").status_code == 404
    assert client.get("/admin/").status_code == 200


def test_instructor_bureau_user_needs_an_assignment(make, login_as):
    district = make.bureau("区局C", level="district")
    make.tenant(slug="assigned", bureau=district)
    make.user("ins@example.com", bureau=district, bureau_role="instructor")
    # An instructor reaches a tenant only through an assignment (a membership), not jurisdiction.
    assert login_as("ins@example.com").get("/t/assigned/").status_code == 404
