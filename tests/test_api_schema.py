"""Property-based tests of API v1 with schemathesis, through WSGI against the app: random valid
and invalid inputs (paths, query strings, bodies) never give a 5xx, and every answer — status,
media type and body — is what the OpenAPI document says.

Bounded for CI: every GET operation and the main POSTs, 25 examples each (positive and
negative cases), no deadline. Schemathesis drives the Flask app directly
(`schemathesis.openapi.from_wsgi`); its pytest plugin (`from_fixture(...).parametrize()`) does not
run under pytest 9 (schemathesis 4.32 reads `request.node._nodeid`, gone in pytest 9), so the
operations' Hypothesis strategies (`operation.as_strategy`) are driven with `@given` here.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from saas.api import tokens as api_tokens
from saas.api.openapi import document
from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import tenant_scope, utcnow

from .factories import Factory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
POSTS = r"/(enterprises|stations|service-logs|trainings|applications)$"


@pytest.fixture
def seeded(app, monkeypatch):
    """A tenant with an admin token (and a reviewer token of its bureau) and a row of every
    feature (an acknowledged visit, a submitted application), made in an app context of its
    own: schemathesis' requests must not share one with the test."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    with app.app_context():
        make = Factory()
        bureau = make.bureau("属性测试区市场监督管理局")
        tenant = make.tenant(slug="prop", name="属性园区", default_locale="en", bureau=bureau)
        admin = make.user("prop-admin@example.com", tenant=tenant, role="admin")
        instructor = make.user("prop-instructor@example.com", tenant=tenant, role="instructor")
        enterprise_id = make.enterprise(tenant)
        grant(make.user("prop-enterprise@example.com"), tenant, "enterprise", enterprise_id)
        reviewer = make.user("prop-reviewer@example.com", bureau=bureau, bureau_role="reviewer")
        _token, raw = api_tokens.issue(admin, tenant, "schemathesis")
        _token, reviewer_raw = api_tokens.issue(reviewer, tenant, "schemathesis-bureau")
        db.session.commit()
        with tenant_scope(tenant.id):
            ids = make.feature_rows(enterprise_id, instructor.id)
            from tenants.applications.models import Application
            from tenants.visits.models import GuidanceVisit

            visit = db.session.get(GuidanceVisit, ids["visit_id"])
            visit.acknowledged_at = utcnow()
            application = db.session.get(Application, ids["application_id"])
            application.status, application.submitted_at = "submitted", visit.acknowledged_at
            application.notice_start = date(2025, 5, 1)
            # The reviewer's workbench has a base application and a unit application waiting.
            from tenants.recognition.models import UnitApplication

            db.session.get(UnitApplication, ids["unit_application_id"]).status = "recommended"
            db.session.commit()
        ids.update(enterprise_id=enterprise_id, year=2025, bureau_id=bureau.id)
        out = SimpleNamespace(slug=tenant.slug, token=raw, reviewer_token=reviewer_raw, ids=ids)
        db.session.remove()
    return out


def operations(method: str, path_regex: str = "") -> list[tuple[str, str]]:
    return [(method, path) for path, ops in sorted(document()["paths"].items())
            if method.lower() in ops and re.search(path_regex, path)]


def strategy(app, seeded, method: str, path: str):
    """Positive and negative cases of one operation, in the seeded tenant."""
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]
    fixed = {"tenant_slug": seeded.slug} if "{tenant_slug}" in path else {}
    modes = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        modes.append(operation.as_strategy(mode, path_parameters=fixed or None))
    return st.one_of(modes)


def aim(case, seeded) -> None:
    """Half of the generated object ids (the even ones) become real ones, so that random bodies
    and queries reach real objects too."""
    for name, value in list((case.path_parameters or {}).items()):
        if name in seeded.ids and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = seeded.ids[name]


def run(app, seeded, method, path, token=None, max_examples=25, statuses=None):
    """Cases of one operation, each checked by schemathesis (no 5xx; status, media type and
    body as documented) and, with `statuses`, answered with one of them. `token` None: the
    admin's, or for the bureau side the bureau's reviewer's."""
    token = token or (seeded.reviewer_token if path.startswith("/api/v1/bureaus/") else seeded.token)

    @settings(max_examples=max_examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=strategy(app, seeded, method, path))
    def property_(case):
        aim(case, seeded)
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        if statuses is not None:
            assert response.status_code in statuses, (case.path_parameters, case.query, response.status_code)

    property_()


@pytest.mark.parametrize("method, path", operations("GET"))
def test_get_operations_never_fail_and_match_the_document(app, seeded, method, path):
    run(app, seeded, method, path)


@pytest.mark.parametrize("method, path", operations("POST", POSTS))
def test_post_operations_never_fail_and_match_the_document(app, seeded, method, path):
    run(app, seeded, method, path)


@pytest.mark.parametrize("method, path", operations("GET", r"/(enterprises|visits|stations)$"))
def test_with_a_bad_token_every_case_is_a_documented_401(app, seeded, method, path):
    # 404 only where a mutated path matches no route at all.
    run(app, seeded, method, path, "tsb_not-a-token", max_examples=10, statuses=(401, 404))


def test_the_bounded_run_covers_the_api():
    assert len(operations("GET")) >= 15 and len(operations("POST", POSTS)) == 5
