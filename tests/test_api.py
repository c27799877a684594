"""JSON API v1 (issue 8): the OpenAPI document against the URL map and real responses, bearer
tokens (CLI, account page, revoked/expired/deactivated, hashed), tenant isolation by URL map,
roles from the permission table, JSON errors (422 fields, 409, never a 500), lists, throttling.

Property-based tests (schemathesis) are in test_api_schema.py.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from openpyxl import Workbook

from saas.api import tokens as api_tokens
from saas.auth.models import User
from saas.auth.permissions import PERMISSIONS
from saas.auth.services import grant
from saas.extensions import db
from saas.jobs import JobRecord
from saas.tenancy import tenant_scope, utcnow
from tenants.applications.models import SECTIONS, Application
from tenants.members.checklists import ITEMS
from tenants.members.models import Enterprise
from tenants.training.models import Attendance, TrainingEvent
from tenants.visits.models import GuidanceVisit, VisitInstructor

from .factories import credit_code_for

API = "/api/v1"
T = "/api/v1/tenants/{tenant_slug}"
ROLES = ("admin", "staff", "instructor", "enterprise", "reviewer")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- world and helpers ---------------------------------------------------------------------------

@pytest.fixture
def world(app, make):
    """Tenants A and B (each under its own bureau), a user and a token of every role in each,
    two member enterprises of A (the enterprise users of A belong to `e1`), one of B, and one
    row of every feature table of A."""
    bureau_a, bureau_b = make.bureau("甲区市场监督管理局"), make.bureau("乙区市场监督管理局")
    a = make.tenant(slug="park-a", name="甲园区", default_locale="en", bureau=bureau_a)
    b = make.tenant(slug="park-b", name="乙园区", default_locale="en", bureau=bureau_b)
    e1 = make.enterprise(a, name="甲一科技有限公司", credit_code=credit_code_for(9001))
    e2 = make.enterprise(a, name="甲二秘密制造有限公司", credit_code=credit_code_for(9002))
    eb = make.enterprise(b, name="乙一企业有限公司", credit_code=credit_code_for(9003))
    users, tokens, token_ids = {}, {}, {}
    for tenant, side, bureau, own in ((a, "a", bureau_a, e1), (b, "b", bureau_b, eb)):
        for role in ("admin", "staff", "instructor"):
            users[role, side] = make.user(f"{role}-{side}@example.com", tenant=tenant, role=role)
        users["enterprise", side] = make.user(f"enterprise-{side}@example.com")
        grant(users["enterprise", side], tenant, "enterprise", own)
        users["reviewer", side] = make.user(f"reviewer-{side}@example.com", bureau=bureau, bureau_role="reviewer")
        db.session.commit()
        for role in ROLES:
            token, raw = api_tokens.issue(users[role, side], tenant, f"{role}-{side}")
            tokens[role, side], token_ids[role, side] = raw, token.id
    db.session.commit()
    instructor_id = users["instructor", "a"].id
    with tenant_scope(a.id):
        ids = make.feature_rows(e1, instructor_id)
        other_visit = GuidanceVisit(enterprise_id=e2, visited_on=date(2025, 4, 1), topics=["measures"],
                                    created_by_id=instructor_id, findings="甲二的发现")
        db.session.add(other_visit)
        db.session.flush()
        db.session.add(VisitInstructor(visit_id=other_visit.id, user_id=instructor_id))
        shared = TrainingEvent(title="园区公开课", held_on=date(2025, 5, 1), hours=2, organiser="base",
                               attendance=[Attendance(enterprise_id=e1, headcount=3),
                                           Attendance(enterprise_id=e2, headcount=7)])
        db.session.add(shared)
        job = JobRecord(task="tenants.members.tasks:import_members", key="world", permission="members.manage",
                        status="queued")
        db.session.add(job)
        db.session.commit()
        ids.update(other_visit_id=other_visit.id, shared_event_id=shared.id, job_id=job.id)
    ids.update(enterprise_id=e1, year=2025, bureau_id=bureau_a.id)
    return SimpleNamespace(
        a=a.slug, b=b.slug, a_id=a.id, b_id=b.id, e1=e1, e2=e2, eb=eb, ids=ids,
        bureau_a=bureau_a.id, bureau_b=bureau_b.id, tokens=tokens, token_ids=token_ids,
        user_ids={k: u.id for k, u in users.items()},
        tok=lambda role="admin", side="a": tokens[role, side])


@pytest.fixture
def call(client):
    """call(token, method, path, json=..., data=..., headers=...) — `token` None sends none."""
    def _call(token, method, path, **kw):
        headers = dict(kw.pop("headers", None) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return client.open(path, method=method, headers=headers, **kw)

    return _call


def url(slug: str, tail: str = "") -> str:
    return f"{API}/tenants/{slug}{tail}"


def spec_of(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def schema_errors(spec: dict, schema: dict, instance) -> list[str]:
    """Errors of `instance` against `schema` (which may $ref the document's components),
    formats asserted (date, date-time)."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": spec["components"], **schema}
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def mismatches(spec: dict, method: str, template: str, response) -> list[str]:
    """What is wrong with a response against the document: an undocumented status or media
    type, or a body that does not match the schema (formats asserted)."""
    operation = spec["paths"][template][method.lower()]
    status = str(response.status_code)
    where = f"{method} {template} {status}"
    if status not in operation["responses"]:
        return [f"{where}: undocumented status: {response.get_data(as_text=True)[:300]}"]
    content = operation["responses"][status].get("content", {})
    if response.mimetype not in content:
        return [f"{where}: undocumented media type {response.mimetype}"]
    if response.mimetype != "application/json":
        return []
    return [f"{where}: {e}" for e in schema_errors(spec, content["application/json"]["schema"], response.get_json())]


def conform(spec: dict, method: str, template: str, response) -> None:
    problems = mismatches(spec, method, template, response)
    assert not problems, problems


def error_of(response, status: int) -> dict:
    """The JSON error body of a response with `status`."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.is_json, response.get_data(as_text=True)[:200]
    error = response.get_json()["error"]
    assert {"code", "message", "fields"} <= error.keys() and isinstance(error["fields"], dict)
    return error


def xlsx(rows: list[list]) -> bytes:
    """A workbook with a Chinese header row and `rows`."""
    wb = Workbook()
    ws = wb.active
    ws.append(["企业名称", "统一社会信用代码", "职工人数", "联络员"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, mode: str = "create", filename: str = "roster.xlsx") -> dict:
    return {"data": {"file": (io.BytesIO(data), filename), "mode": mode}, "content_type": "multipart/form-data"}


def fresh(tenant_id: int):
    """A read of what the requests committed (their own sessions)."""
    db.session.rollback()
    db.session.expire_all()
    return tenant_scope(tenant_id)


def enterprises_of(tenant_id: int) -> dict[str, str]:
    with fresh(tenant_id):
        return {e.credit_code: e.name for e in db.session.scalars(sa.select(Enterprise))}


def filled_application(tenant_id: int, year: int = 2024) -> int:
    """A draft application with every section written, so that it may be submitted."""
    with tenant_scope(tenant_id):
        row = Application(scheme="cq-park", year=year, sections={c: f"{c} 的说明文字。" for c in SECTIONS})
        db.session.add(row)
        db.session.commit()
        return row.id


def api_rules(app, prefix: str = f"{API}/tenants/"):
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith(prefix)), key=lambda r: r.rule)


def template_of(rule) -> str:
    """A Flask rule as an OpenAPI path template: /x/<int:id> → /x/{id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def build(rule, slug: str, ids: dict) -> str:
    out = template_of(rule).replace("{tenant_slug}", slug)
    for arg in rule.arguments - {"tenant_slug"}:
        out = out.replace(f"{{{arg}}}", str(ids[arg]))
    return out


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


# --- the OpenAPI document ------------------------------------------------------------------------

def test_openapi_document_is_valid_openapi_31(client):
    from openapi_spec_validator import validate

    spec = spec_of(client)  # no token needed for the reference
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    # Every $ref points at a component that exists.
    refs = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', str(spec).replace("'", '"')))
    assert refs and refs <= spec["components"]["schemas"].keys()


def test_every_api_route_is_in_the_document_and_nothing_else(app, client):
    """A new /api/v1 route without a path in the document fails here (and so does a documented
    path the app does not serve)."""
    spec = spec_of(client)
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(f"{API}/") or rule.endpoint == "api.openapi":
            continue
        for method in methods_of(rule):
            served.add((method.lower(), template_of(rule)))
    verbs = ("get", "post", "put", "patch", "delete")
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops if m in verbs}
    assert len(served) >= 30
    assert not served - documented, f"API routes missing from the OpenAPI document: {sorted(served - documented)}"
    assert not documented - served, f"documented but not served: {sorted(documented - served)}"
    # Path parameters: the document names exactly the rule's arguments.
    for path, ops in spec["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, op in ops.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path, declared)


def test_every_enumeration_in_the_document_is_english_snake_case(client):
    spec = spec_of(client)
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "enum" in node:
                found.extend(node["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec["components"])
    assert len(found) >= 20
    assert [v for v in found if not SNAKE.match(v)] == []


def each_documented_body_field_sent_as_null(world, client, call):
    """(method, template, request schema, field, response) for every property of every JSON
    request body in the document, sent alone with the value null (to real objects of A)."""
    spec = spec_of(client)
    ids = {**world.ids, "tenant_slug": world.a}
    for template, ops in spec["paths"].items():
        for method, op in ops.items():
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                continue
            if "$ref" in schema:
                schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            path = template
            for key, value in ids.items():
                path = path.replace(f"{{{key}}}", str(value))
            token = world.tok("instructor") if template.endswith(("/visits", "/visits/{visit_id}")) else world.tok()
            for name in schema.get("properties", {}):
                yield method.upper(), template, schema, name, call(token, method.upper(), path, json={name: None})


def test_request_schemas_name_only_fields_the_server_accepts(world, client, call):
    """What the document allows in a request body is not refused as an "unknown field" (the
    request bodies must not reuse response schemas with server-made fields like id, status,
    progress or acknowledged_at), and no server-made field is required in a request."""
    problems = []
    for method, template, schema, name, response in each_documented_body_field_sent_as_null(world, client, call):
        if name in schema.get("required", []) and name in ("id", "version", "status", "progress", "acknowledged_at"):
            problems.append(f"{method} {template}: requires the server-made field {name!r}")
        fields = response.get_json().get("error", {}).get("fields", {}) if response.is_json else {}
        if fields.get(name) == "unknown field":
            problems.append(f"{method} {template}: documented field {name!r} is refused as unknown")
    assert not problems, "\n".join(sorted(set(problems)))


def test_null_for_any_documented_field_is_never_a_500(world, client, call):
    sent = each_documented_body_field_sent_as_null(world, client, call)
    failures = [f"{method} {template} {{{name!r}: null}} → {response.status_code}"
                for method, template, _schema, name, response in sent if response.status_code >= 500]
    assert not failures, "\n".join(failures)


# --- real responses against the document ---------------------------------------------------------

def test_real_responses_of_every_operation_match_the_document(app, world, client, call):
    """Every documented operation is called with real data (and must answer 2xx once); every
    answer, errors included, must match the document."""
    spec = spec_of(client)
    slug, ids = world.a, world.ids
    admin, instructor, ent = world.tok("admin"), world.tok("instructor"), world.tok("enterprise")
    succeeded: set[tuple[str, str]] = set()
    problems: list[str] = []

    def check(token, method, template, expect=None, **kw):
        path = template.replace("{tenant_slug}", slug)
        for key, value in kw.pop("args", {}).items():
            path = path.replace(f"{{{key}}}", str(value))
        response = call(token, method, path, **kw)
        problems.extend(mismatches(spec, method, template, response))
        if expect is not None:
            assert response.status_code == expect, \
                (method, path, response.status_code, response.get_data(as_text=True)[:400])
        if 200 <= response.status_code < 300:
            succeeded.add((method.lower(), template))
        return response

    check(admin, "GET", f"{T}/", 200)
    check(admin, "GET", f"{T}/enterprises", 200)
    check(admin, "GET", f"{T}/enterprises", 200, query_string={"status": "liaison", "per_page": 1})
    created = check(admin, "POST", f"{T}/enterprises", 201, json={
        "name": "新建科技有限公司", "credit_code": credit_code_for(7001), "industry": "软件", "employees": 12,
        "joined_on": "2025-02-03", "liaison": {"name": "张三", "mobile": "13800000000"}, "flags": ["high_tech"],
        "adopted_standard": True}).get_json()
    new = created["id"]
    check(admin, "POST", f"{T}/enterprises", 201, json={"name": "最少字段有限公司", "credit_code": credit_code_for(7002)})
    check(admin, "GET", f"{T}/enterprises/{{enterprise_id}}", 200, args={"enterprise_id": new})
    check(admin, "PATCH", f"{T}/enterprises/{{enterprise_id}}", 200, args={"enterprise_id": new},
          json={"employees": 30, "status": "cultivating", "liaison": {"name": "李四", "position": "主任"}})
    check(admin, "POST", f"{T}/enterprises/{{enterprise_id}}/withdraw", 200, args={"enterprise_id": new},
          json={"reason": "迁出园区", "on": "2025-06-30"})
    check(admin, "POST", f"{T}/enterprises/import", 200,
          **upload(xlsx([["导入一有限公司", credit_code_for(7003), 20, "王五"]])))
    check(admin, "POST", f"{T}/enterprises/import", 422, **upload(xlsx([["", "bad", "x", ""]])))
    check(admin, "GET", f"{T}/enterprises/{{enterprise_id}}/checklist", 200, args=ids)
    check(admin, "PUT", f"{T}/enterprises/{{enterprise_id}}/checklist", 200, args=ids,
          json={"items": [{"code": ITEMS[0], "state": "in_place", "note": "已建立"}]})
    check(admin, "GET", f"{T}/enterprises/{{enterprise_id}}/survey/{{year}}", 200, args=ids)
    check(admin, "PUT", f"{T}/enterprises/{{enterprise_id}}/survey/{{year}}", 200, args=ids,
          json={"employees": 50, "confidentiality_signed": 40, "noncompete_signed": 10, "secrets_identified": 3})
    check(admin, "GET", f"{T}/enterprises/{{enterprise_id}}/survey/{{year}}", 200, args=ids)
    check(admin, "GET", f"{T}/stations", 200)
    check(admin, "POST", f"{T}/stations", 201, json={"name": "第二指导站", "address": "园区路1号",
                                                     "opened_on": "2024-09-01", "office": "shared"})
    check(admin, "GET", f"{T}/service-logs", 200)
    check(admin, "GET", f"{T}/service-logs", 200, query_string={"from": "2025-01-01", "to": "2025-12-31",
                                                               "category": "consultation", "enterprise_id": world.e1})
    check(admin, "POST", f"{T}/service-logs", 201, json={
        "served_on": "2025-03-05", "station_id": ids["station_id"], "category": "complaint",
        "enterprise_id": world.e1, "summary": "员工带走图纸", "follow_up": "open", "follow_up_due": "2025-04-01"})
    check(admin, "GET", f"{T}/visits", 200)
    check(instructor, "POST", f"{T}/visits", 201, json={
        "enterprise_id": world.e1, "visited_on": "2025-03-10", "topics": ["rules", "measures"], "mode": "remote",
        "findings": "保密协议未覆盖研发岗", "follow_up_due": "2025-05-01"})
    check(instructor, "PATCH", f"{T}/visits/{{visit_id}}", 200, args=ids, json={"recommendations": "补签协议"})
    check(ent, "POST", f"{T}/visits/{{visit_id}}/acknowledge", 200, args=ids)
    check(admin, "GET", f"{T}/trainings", 200)
    check(admin, "POST", f"{T}/trainings", 201, json={
        "title": "商业秘密保护培训", "held_on": "2025-03-20", "hours": 3, "venue": "园区会议室", "online": False,
        "attendance": [{"enterprise_id": world.e1, "headcount": 10}, {"enterprise_id": world.e2, "headcount": 4}]})
    check(admin, "GET", f"{T}/plans/{{year}}", 404, args=ids)
    check(admin, "PUT", f"{T}/plans/{{year}}", 201, args=ids, json={
        "training_ratio_target": 80, "publicity_events_target": 4, "demonstration_target": None,
        "key_tasks": "完善制度", "targets": [{"name": "培训场次", "unit": "场", "target": 6}]})
    check(admin, "PUT", f"{T}/plans/{{year}}", 200, args=ids, json={"key_tasks": "完善制度，扩大示范"})
    check(admin, "GET", f"{T}/plans/{{year}}", 200, args=ids)
    check(admin, "GET", f"{T}/metrics", 200)
    check(admin, "GET", f"{T}/metrics", 200, query_string={"from": "2025-01-01", "to": "2025-06-30"})
    check(admin, "GET", f"{T}/readiness", 200)
    check(admin, "GET", f"{T}/readiness", 200, query_string={"scheme": "cq-park", "year": 2025})
    check(admin, "GET", f"{T}/applications", 200)
    check(admin, "POST", f"{T}/applications", 201, json={"scheme": "cq-park", "year": 2026})
    check(admin, "GET", f"{T}/applications/{{application_id}}", 200, args=ids)
    check(admin, "GET", f"{T}/applications/{{application_id}}/dossier.pdf", 404, args=ids)
    application_id = filled_application(world.a_id)
    one = {"application_id": application_id}
    sections = check(admin, "GET", f"{T}/applications/{{application_id}}/sections", 200, args=one).get_json()
    assert [x["code"] for x in sections["sections"]] == ["basic", "needs", "work_done", "cases", "next_steps"]
    edited = check(admin, "PUT", f"{T}/applications/{{application_id}}/sections", 200, args=one,
                   json={"sections": {"cases": "追回图纸，依法处理。"}, "version": 0}).get_json()
    assert {x["code"]: x["text"] for x in edited["sections"]}["cases"] == "追回图纸，依法处理。"
    check(admin, "PUT", f"{T}/applications/{{application_id}}/sections", 422, args=one, json={"sections": {"x": ""}})
    check(admin, "POST", f"{T}/applications/{{application_id}}/submit", 200, args={"application_id": application_id})
    check(admin, "POST", f"{T}/applications/{{application_id}}/submit", 409, args={"application_id": application_id})
    # Submitted meanwhile: the edit of a writer who saw version 0 is refused, nothing written.
    check(admin, "PUT", f"{T}/applications/{{application_id}}/sections", 409, args=one,
          json={"sections": {"cases": "提交之后"}, "version": 0})
    reviewer = world.tok("reviewer")
    moved = check(reviewer, "POST", f"{T}/applications/{{application_id}}/decisions", 200, args=one,
                  json={"action": "accept", "opinion": "材料齐全，受理。"}).get_json()
    assert (moved["status"], moved["status_label"]) == ("district_review", "District review")
    check(reviewer, "POST", f"{T}/applications/{{application_id}}/decisions", 409, args=one, json={"action": "accept"})
    check(reviewer, "POST", f"{T}/applications/{{application_id}}/decisions", 422, args=one, json={"action": "return"})
    check(reviewer, "POST", f"{T}/applications/{{application_id}}/decisions", 422, args=one, json={"action": "promote"})
    # A dossier PDF on disk (the worker would write it).
    relative = Path(str(world.a_id)) / "dossiers" / "test.pdf"
    target = Path(app.config["UPLOAD_DIR"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with tenant_scope(world.a_id):
        db.session.get(Application, application_id).pdf_path = str(relative)
        db.session.commit()
    pdf = check(admin, "GET", f"{T}/applications/{{application_id}}/dossier.pdf", 200,
                args={"application_id": application_id})
    assert pdf.data.startswith(b"%PDF")
    # A job the admin may see (a roster import the worker would run).
    with tenant_scope(world.a_id):
        job = JobRecord(task="tenants.members.tasks:import_members", key="api-doc", permission="members.manage",
                        status="done", result={"created": 3, "updated": 0, "unchanged": 0, "file": "x"})
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    body = check(admin, "GET", f"{T}/jobs/{{job_id}}", 200, args={"job_id": job_id}).get_json()
    assert body["result"] == {"created": 3, "updated": 0, "unchanged": 0}, "files are not handed out by the API"
    check(ent, "GET", f"{T}/jobs/{{job_id}}", 404, args={"job_id": job_id})  # may not see what it records
    check(world.tok("reviewer"), "GET", "/api/v1/bureaus/{bureau_id}/overview", 200, args={"bureau_id": world.bureau_a})
    check(world.tok("reviewer"), "GET", "/api/v1/bureaus/{bureau_id}/overview", 200,
          args={"bureau_id": world.bureau_a}, query_string={"year": 2025})
    rollup = check(world.tok("reviewer"), "GET", "/api/v1/bureaus/{bureau_id}/rollup", 200,
                   args={"bureau_id": world.bureau_a}, query_string={"year": 2025}).get_json()
    assert rollup["bureau"]["id"] == world.bureau_a and rollup["lines"], "the bureau's own node at least"
    # The reviewer's workbench: the application submitted above waits for A's district reviewer.
    bench = check(world.tok("reviewer"), "GET", "/api/v1/bureaus/{bureau_id}/workbench", 200,
                  args={"bureau_id": world.bureau_a}).get_json()
    # … and so does the half-year report feature_rows submitted.
    assert [(i["kind"], i["id"]) for i in bench["items"]] == [("application", application_id),
                                                               ("report", world.ids["report_id"])]
    check(world.tok("reviewer"), "GET", "/api/v1/bureaus/{bureau_id}/workbench", 200, args={"bureau_id": world.bureau_a},
          query_string={"tab": "all", "stage": "district_review", "year": 2024, "scheme": "cq-park", "per_page": 1})
    check(world.tok("reviewer"), "GET", "/api/v1/bureaus/{bureau_id}/workbench", 400, args={"bureau_id": world.bureau_a},
          query_string={"tab": "later"})
    # Errors are documented too.
    check(None, "GET", f"{T}/enterprises", 401)
    check(world.tok("enterprise"), "GET", f"{T}/enterprises", 403)
    check(admin, "GET", f"{T}/enterprises/{{enterprise_id}}", 404, args={"enterprise_id": world.eb})
    check(admin, "POST", f"{T}/enterprises", 422, json={"name": ""})

    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert not documented - succeeded, f"operations never answered 2xx here: {sorted(documented - succeeded)}"
    assert not problems, "responses that do not match the OpenAPI document:\n" + "\n".join(problems)


# --- tokens --------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Bearer nonsense", "Bearer tsb_nonsense",
                                    "Basic dXNlcjpwYXNz", "Token tsb_x"])
def test_missing_or_invalid_token_is_401_json(world, call, header):
    headers = {"Authorization": header} if header is not None else {}
    for path in (url(world.a, "/"), url(world.a, "/enterprises"), f"{API}/bureaus/{world.bureau_a}/overview",
                 f"{API}/bureaus/{world.bureau_a}/workbench"):
        error = error_of(call(None, "GET", path, headers=headers), 401)
        assert error["code"] == "unauthorized"


def test_bearer_scheme_is_case_insensitive_and_the_token_works(world, call):
    response = call(None, "GET", url(world.a, "/"), headers={"Authorization": f"bearer {world.tok()}"})
    assert response.status_code == 200
    assert response.get_json()["slug"] == world.a and response.get_json()["role"] == "admin"


def test_revoked_token_is_401(world, call, make):
    raw = world.tok()
    assert call(raw, "GET", url(world.a, "/")).status_code == 200
    api_tokens.revoke(db.session.get(api_tokens.ApiToken, world.token_ids["admin", "a"]))
    db.session.commit()
    assert error_of(call(raw, "GET", url(world.a, "/")), 401)["code"] == "unauthorized"
    assert error_of(call(raw, "POST", url(world.a, "/stations"), json={"name": "x"}), 401)


def test_expired_token_is_401_and_one_not_yet_expired_works(world, call):
    user = db.session.get(User, world.user_ids["admin", "a"])
    from saas.tenancy import Tenant

    tenant = db.session.get(Tenant, world.a_id)
    _t, expired = api_tokens.issue(user, tenant, "old", expires_at=utcnow() - timedelta(seconds=1))
    _t, valid = api_tokens.issue(user, tenant, "new", expires_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert error_of(call(expired, "GET", url(world.a, "/")), 401)["code"] == "unauthorized"
    assert call(valid, "GET", url(world.a, "/")).status_code == 200


def test_token_of_a_deactivated_user_is_401(world, call):
    raw = world.tok("staff")
    assert call(raw, "GET", url(world.a, "/enterprises")).status_code == 200
    db.session.get(User, world.user_ids["staff", "a"]).active = False
    db.session.commit()
    error_of(call(raw, "GET", url(world.a, "/enterprises")), 401)


def test_token_carries_the_users_current_role(world, call):
    raw = world.tok("staff")
    body = {"name": "角色测试有限公司", "credit_code": credit_code_for(7101)}
    assert call(raw, "GET", url(world.a, "/")).get_json()["role"] == "staff"
    from saas.tenancy import Tenant

    grant(db.session.get(User, world.user_ids["staff", "a"]), db.session.get(Tenant, world.a_id), "instructor")
    db.session.commit()
    assert call(raw, "GET", url(world.a, "/")).get_json()["role"] == "instructor"
    assert error_of(call(raw, "POST", url(world.a, "/enterprises"), json=body), 403)["code"] == "forbidden"


def test_flask_tokens_create_prints_a_working_token(app, world, call):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tokens", "create", "staff-a@example.com", "--tenant", world.a, "--days", "2"])
    assert result.exit_code == 0, (result.output, result.exception)
    raw = result.output.strip()
    assert raw.startswith(api_tokens.PREFIX) and "\n" not in raw
    response = call(raw, "GET", url(world.a, "/"))
    assert response.status_code == 200 and response.get_json()["role"] == "staff"
    db.session.rollback()
    token = api_tokens.find(raw)
    assert token.name == "cli" and token.expires_at is not None
    assert timedelta(days=1, hours=23) < token.expires_at - utcnow() <= timedelta(days=2)
    # The printed token works in its own tenant only.
    assert error_of(call(raw, "GET", url(world.b, "/")), 404)
    # No role there, no such user, no such tenant: refused, nothing printed that looks like a token.
    for args in (["staff-a@example.com", "--tenant", world.b], ["nobody@example.com", "--tenant", world.a],
                 ["staff-a@example.com", "--tenant", "no-such-tenant"]):
        result = runner.invoke(args=["tokens", "create", *args])
        assert result.exit_code != 0 and api_tokens.PREFIX not in result.output, (args, result.output)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_account_page_creates_a_token_shown_once_and_revokes_it(world, login_as, call):
    browser = login_as("admin-a@example.com")
    page = browser.get("/account/tokens/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{world.a_id}"' in html
    response = browser.post("/account/tokens/", data={"csrf_token": csrf_of(html), "tenant_id": world.a_id,
                                                      "name": "OA 系统", "days": "30"})
    assert response.status_code == 200
    shown = re.search(r'id="new-token">(tsb_[^<]+)<', response.get_data(as_text=True))
    assert shown, "the new token is shown on the page"
    raw = shown.group(1)
    assert call(raw, "GET", url(world.a, "/")).status_code == 200
    # Shown once: not on the next visit (only its last characters).
    again = browser.get("/account/tokens/").get_data(as_text=True)
    assert raw not in again and raw[-6:] in again and "OA 系统" in again
    # Stored hashed: the raw value is nowhere in the table.
    db.session.rollback()
    rows = db.session.execute(sa.text("SELECT * FROM api_token")).all()
    assert rows and all(raw not in str(value) for row in rows for value in row)
    token = api_tokens.find(raw)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.user_id == world.user_ids["admin", "a"]
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    token_id = token.id
    # Another user cannot revoke it.
    other = login_as("staff-a@example.com")
    html = other.get("/account/tokens/").get_data(as_text=True)
    assert other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(html)}).status_code == 404
    assert call(raw, "GET", url(world.a, "/")).status_code == 200
    # Its owner can.
    html = browser.get("/account/tokens/").get_data(as_text=True)
    assert browser.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(html)}).status_code == 302
    error_of(call(raw, "GET", url(world.a, "/")), 401)
    # A tenant the user has no role in cannot be chosen.
    html = browser.get("/account/tokens/").get_data(as_text=True)
    foreign = {"csrf_token": csrf_of(html), "tenant_id": world.b_id}
    assert browser.post("/account/tokens/", data=foreign).status_code == 404


def test_account_page_needs_a_login(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_tokens_are_stored_hashed(world):
    db.session.rollback()
    stored = db.session.execute(sa.text("SELECT token_hash, hint FROM api_token")).all()
    assert len(stored) == len(world.tokens)
    for raw in world.tokens.values():
        assert all(raw not in h and raw not in hint for h, hint in stored)
        assert (hashlib.sha256(raw.encode()).hexdigest(), raw[-6:]) in [tuple(r) for r in stored]


def test_using_a_token_records_when_it_was_last_used(world, call):
    """The account page shows "Last used": a read-only request must record it too."""
    assert call(world.tok("staff"), "GET", url(world.a, "/enterprises")).status_code == 200
    db.session.rollback()
    db.session.expire_all()
    token = db.session.get(api_tokens.ApiToken, world.token_ids["staff", "a"])
    assert token.last_used_at is not None, "GET requests do not commit last_used_at"


# --- isolation -----------------------------------------------------------------------------------

def test_every_api_rule_can_be_built_with_real_ids(app, world):
    rules = api_rules(app)
    assert len(rules) >= 20
    missing = [r.rule for r in rules if not (r.arguments - {"tenant_slug"}) <= world.ids.keys()]
    assert not missing, f"add real ids of tenant A for these API rules: {missing}"


def test_token_of_b_gets_404_for_every_resource_of_a(app, world, call):
    """Every tenant API rule and method, by a token of B whose role may do the action (so the
    object lookup is reached): 404 under A's slug and under B's slug with A's ids — never 403,
    never A's data."""
    a_secrets = ["甲一科技有限公司", "甲二秘密制造有限公司", credit_code_for(9001), credit_code_for(9002), "甲园区", "甲二的发现"]
    checked = 0
    for rule in api_rules(app):
        action = app.view_functions[rule.endpoint].required_action
        role = next(r for r in ROLES if action in PERMISSIONS[r])
        token = world.tok(role, "b")
        for method in methods_of(rule):
            body = {"json": {}} if method in WRITE_METHODS else {}
            targets = [(world.a, "A slug")]
            if any(arg.endswith("_id") for arg in rule.arguments):
                targets.append((world.b, "B slug, A ids"))
            for slug, label in targets:
                response = call(token, method, build(rule, slug, world.ids), **body)
                text = response.get_data(as_text=True)
                assert response.status_code == 404, (method, rule.rule, role, label, response.status_code, text[:300])
                assert error_of(response, 404)["code"] == "not_found"
                assert not [s for s in a_secrets if s in text], (method, rule.rule, label)
                checked += 1
    assert checked >= 40
    # And the bureau side: B's reviewer cannot read A's bureau; A's admin is no reviewer.
    error_of(call(world.tok("reviewer", "b"), "GET", f"{API}/bureaus/{world.bureau_a}/overview"), 404)
    error_of(call(world.tok("admin", "a"), "GET", f"{API}/bureaus/{world.bureau_a}/overview"), 404)
    error_of(call(world.tok("reviewer", "a"), "GET", f"{API}/bureaus/999999/overview"), 404)
    for tail in ("workbench", "workbench?tab=all"):
        error_of(call(world.tok("reviewer", "b"), "GET", f"{API}/bureaus/{world.bureau_a}/{tail}"), 404)
        error_of(call(world.tok("admin", "a"), "GET", f"{API}/bureaus/{world.bureau_a}/{tail}"), 404)


def test_unknown_tenant_and_foreign_tenant_look_the_same(world, call):
    unknown = call(world.tok("admin", "b"), "GET", url("no-such-tenant", "/enterprises"))
    foreign = call(world.tok("admin", "b"), "GET", url(world.a, "/enterprises"))
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.get_json() == foreign.get_json()


def test_suspended_tenant_is_404_for_its_own_tokens(world, call):
    from saas.tenancy import Tenant

    db.session.get(Tenant, world.a_id).status = "suspended"
    db.session.commit()
    error_of(call(world.tok(), "GET", url(world.a, "/")), 404)


def test_lists_of_a_never_contain_rows_of_b(world, call):
    listing = call(world.tok("admin", "b"), "GET", url(world.b, "/enterprises")).get_json()
    assert [e["id"] for e in listing["items"]] == [world.eb] and listing["total"] == 1
    for tail in ("/stations", "/service-logs", "/visits", "/trainings", "/applications"):
        response = call(world.tok("admin", "b"), "GET", url(world.b, tail))
        assert response.status_code == 200 and response.get_json()["total"] == 0, tail


def test_enterprise_token_sees_only_its_own_enterprise(world, call):
    ent, mine, other = world.tok("enterprise"), world.e1, world.e2
    # The roster is not for enterprise users (members.list).
    listing = call(ent, "GET", url(world.a, "/enterprises"))
    assert error_of(listing, 403)["code"] == "forbidden"
    assert "甲二秘密制造有限公司" not in listing.get_data(as_text=True)
    # Detail, checklist, survey: its own only.
    assert call(ent, "GET", url(world.a, f"/enterprises/{mine}")).get_json()["id"] == mine
    assert call(ent, "GET", url(world.a, f"/enterprises/{mine}/checklist")).status_code == 200
    assert call(ent, "GET", url(world.a, f"/enterprises/{mine}/survey/2025")).status_code == 200
    for tail in (f"/enterprises/{other}", f"/enterprises/{other}/checklist", f"/enterprises/{other}/survey/2025"):
        response = call(ent, "GET", url(world.a, tail))
        assert error_of(response, 404)["code"] == "not_found", tail
        assert "甲二" not in response.get_data(as_text=True)
    error_of(call(ent, "PUT", url(world.a, f"/enterprises/{other}/checklist"),
                  json={"items": [{"code": ITEMS[0], "state": "in_place"}]}), 404)
    error_of(call(ent, "PUT", url(world.a, f"/enterprises/{other}/survey/2025"), json={"employees": 5}), 404)
    own = call(ent, "PUT", url(world.a, f"/enterprises/{mine}/checklist"),
               json={"items": [{"code": ITEMS[0], "state": "in_progress"}]})
    assert own.status_code == 200
    # Visits: its own only, and it acknowledges only its own.
    visits = call(ent, "GET", url(world.a, "/visits")).get_json()
    assert visits["total"] == 1 and {v["enterprise_id"] for v in visits["items"]} == {mine}
    assert call(world.tok("admin"), "GET", url(world.a, "/visits")).get_json()["total"] == 2
    error_of(call(ent, "POST", url(world.a, f"/visits/{world.ids['other_visit_id']}/acknowledge")), 404)
    assert call(ent, "POST", url(world.a, f"/visits/{world.ids['visit_id']}/acknowledge")).status_code == 200
    # Trainings: events it organised or attended, with only its own headcount.
    events = call(ent, "GET", url(world.a, "/trainings")).get_json()
    assert {e["id"] for e in events["items"]} == {world.ids["event_id"], world.ids["shared_event_id"]}
    assert all(row["enterprise_id"] == mine for e in events["items"] for row in e["attendance"])
    # It records its own internal training only.
    event = {"title": "内部培训", "held_on": "2025-03-01", "attendance": [{"enterprise_id": other, "headcount": 3}]}
    error_of(call(ent, "POST", url(world.a, "/trainings"), json=event), 403)
    event["attendance"] = [{"enterprise_id": mine, "headcount": 3}]
    created = call(ent, "POST", url(world.a, "/trainings"), json=event)
    assert created.status_code == 201 and created.get_json()["organiser_enterprise_id"] == mine
    # Ledger, plans, applications, metrics: not for enterprise users.
    for tail in ("/service-logs", "/stations", "/metrics", "/readiness", "/applications", "/plans/2025"):
        error_of(call(ent, "GET", url(world.a, tail)), 403)


# --- roles ---------------------------------------------------------------------------------------

def test_every_role_without_the_permission_gets_403_on_every_api_rule(app, world, call):
    """The permission table decides, before the body is read: a role that may not do a rule's
    action gets 403 (with A's own slug and real ids), whatever it sends."""
    refused = 0
    for rule in api_rules(app):
        action = app.view_functions[rule.endpoint].required_action
        for role in ROLES:
            if action in PERMISSIONS[role]:
                continue
            for method in methods_of(rule):
                body = {"json": {"bogus": True}} if method in WRITE_METHODS else {}
                response = call(world.tok(role), method, build(rule, world.a, world.ids), **body)
                assert response.status_code == 403, (role, method, rule.rule, response.status_code)
                assert error_of(response, 403)["code"] == "forbidden"
                refused += 1
    assert refused >= 30


def test_roles_allowed_to_read_are_not_refused(app, world, call):
    for rule in api_rules(app):
        if "GET" not in rule.methods:
            continue
        action = app.view_functions[rule.endpoint].required_action
        for role in ROLES:
            if action in PERMISSIONS[role]:
                response = call(world.tok(role), "GET", build(rule, world.a, world.ids))
                assert response.status_code in (200, 404), (role, rule.rule, response.status_code)


def test_permission_table_cases(world, call):
    plan = {"key_tasks": "年度工作", "training_ratio_target": 60}
    # plans.manage: admin and staff.
    assert call(world.tok("staff"), "PUT", url(world.a, "/plans/2025"), json=plan).status_code == 201
    assert call(world.tok("admin"), "PUT", url(world.a, "/plans/2025"), json=plan).status_code == 200
    for role in ("instructor", "reviewer", "enterprise"):
        error_of(call(world.tok(role), "PUT", url(world.a, "/plans/2025"), json=plan), 403)
    assert call(world.tok("reviewer"), "GET", url(world.a, "/plans/2025")).status_code == 200
    # applications.write: admin only (staff and reviewers read).
    start = {"scheme": "cq-park", "year": 2025}
    for role in ("staff", "reviewer", "instructor"):
        error_of(call(world.tok(role), "POST", url(world.a, "/applications"), json=start), 403)
        submit = url(world.a, f"/applications/{world.ids['application_id']}/submit")
        error_of(call(world.tok(role), "POST", submit), 403)
    assert call(world.tok("staff"), "GET", url(world.a, "/applications")).status_code == 200
    # 403 comes before validation: a staff with a bad body is still refused, not told what is wrong.
    error_of(call(world.tok("staff"), "POST", url(world.a, "/applications"), json={"year": "x"}), 403)
    # members.manage: not instructors or reviewers.
    member = {"name": "权限测试有限公司", "credit_code": credit_code_for(7201)}
    for role in ("instructor", "reviewer"):
        error_of(call(world.tok(role), "POST", url(world.a, "/enterprises"), json=member), 403)
    assert call(world.tok("staff"), "POST", url(world.a, "/enterprises"), json=member).status_code == 201
    # visits.record: instructors only, and only their own visits.
    visit = {"enterprise_id": world.e1, "visited_on": "2025-03-01", "topics": ["rules"]}
    for role in ("admin", "staff"):
        error_of(call(world.tok(role), "POST", url(world.a, "/visits"), json=visit), 403)
    own_visit = world.ids["visit_id"]
    assert call(world.tok("instructor"), "PATCH", url(world.a, f"/visits/{own_visit}"),
                json={"findings": "x"}).status_code == 200


def test_other_instructor_may_not_edit_a_visit(world, call, make):
    from saas.tenancy import Tenant

    tenant = db.session.get(Tenant, world.a_id)
    second = make.user("ins2-a@example.com", tenant=tenant, role="instructor")
    _t, raw = api_tokens.issue(second, tenant)
    db.session.commit()
    error = error_of(call(raw, "PATCH", url(world.a, f"/visits/{world.ids['visit_id']}"), json={"findings": "改"}), 403)
    assert error["code"] == "forbidden"


# --- validation and errors ----------------------------------------------------------------------

def test_422_names_every_bad_field(world, call):
    response = call(world.tok(), "POST", url(world.a, "/enterprises"), json={
        "credit_code": "91110000600037341X", "joined_on": "2025-13-40", "colour": "red"})
    error = error_of(response, 422)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"name", "credit_code", "joined_on", "colour"}
    assert error["fields"]["colour"] == "unknown field"
    assert all(isinstance(m, str) and m for m in error["fields"].values())
    assert credit_code_for(0) not in enterprises_of(world.a_id)
    # Wrong types are named too.
    error = error_of(call(world.tok(), "POST", url(world.a, "/enterprises"), json={
        "name": 5, "credit_code": ["x"], "employees": "many", "flags": "high_tech", "liaison": "张三",
        "adopted_standard": "yes", "status": "active", "joined_on": 20250101, "industry": None}), 422)
    assert set(error["fields"]) == {"name", "credit_code", "employees", "flags", "liaison", "adopted_standard",
                                    "status", "joined_on", "industry"}
    # PATCH: only what is sent is checked, and each bad field is named.
    error = error_of(call(world.tok(), "PATCH", url(world.a, f"/enterprises/{world.e1}"),
                          json={"name": "", "employees": -1, "id": 5}), 422)
    assert set(error["fields"]) == {"name", "employees", "id"}


@pytest.mark.parametrize("tail, body, fields", [
    ("/stations", {"office": "garage", "opened_on": "yesterday"}, {"name", "office", "opened_on"}),
    ("/service-logs", {"served_on": "2025-02-30", "station_id": "1", "follow_up": "maybe"},
     {"served_on", "station_id", "follow_up"}),
    ("/trainings", {"title": "", "held_on": "soon", "hours": -1, "attendance": [{"enterprise_id": "x"}]},
     {"title", "held_on", "hours", "attendance[0]"}),
    ("/applications", {"year": 1999}, {"year"}),
])
def test_422_fields_on_other_resources(world, call, tail, body, fields):
    error = error_of(call(world.tok(), "POST", url(world.a, tail), json=body), 422)
    assert fields <= set(error["fields"]), error["fields"]


def test_422_fields_on_visits_plans_checklist_survey(world, call):
    error = error_of(call(world.tok("instructor"), "POST", url(world.a, "/visits"),
                          json={"visited_on": "2025-01-01T10:00", "mode": "by_phone", "topics": ["gossip"]}), 422)
    assert {"visited_on", "mode", "topics", "enterprise_id"} <= set(error["fields"])
    error = error_of(call(world.tok(), "PUT", url(world.a, "/plans/2025"),
                          json={"training_ratio_target": 101, "budget": 5, "targets": [{"name": ""}], "x": 1}), 422)
    assert set(error["fields"]) == {"training_ratio_target", "budget", "targets[0]", "x"}
    error = error_of(call(world.tok(), "PUT", url(world.a, f"/enterprises/{world.e1}/checklist"),
                          json={"items": [{"code": "nope", "state": "in_place"},
                                          {"code": ITEMS[0], "state": "done"}]}), 422)
    assert set(error["fields"]) == {"items[0]", "items[1]"}
    error = error_of(call(world.tok(), "PUT", url(world.a, f"/enterprises/{world.e1}/survey/2025"),
                          json={"patents": -1, "employees": "10", "mood": 3}), 422)
    assert set(error["fields"]) == {"patents", "employees", "mood"}


def test_duplicate_credit_code_is_409(world, call):
    taken = credit_code_for(9001)  # e1's
    create = url(world.a, "/enterprises")
    error = error_of(call(world.tok(), "POST", create, json={"name": "重复有限公司", "credit_code": taken}), 409)
    assert error["code"] == "conflict" and "credit_code" in error["fields"]
    # The same code written differently (lower case, spaces) is the same code.
    spaced = f"{taken[:6]} {taken[6:].lower()}"
    error_of(call(world.tok(), "POST", create, json={"name": "重复有限公司", "credit_code": spaced}), 409)
    error_of(call(world.tok(), "PATCH", url(world.a, f"/enterprises/{world.e2}"), json={"credit_code": taken}), 409)
    assert enterprises_of(world.a_id)[credit_code_for(9002)] == "甲二秘密制造有限公司"
    # Another tenant may hold the same code.
    assert call(world.tok("admin", "b"), "POST", url(world.b, "/enterprises"),
                json={"name": "乙方同码有限公司", "credit_code": taken}).status_code == 201


def test_double_submit_of_an_application_is_409(world, call):
    application_id = filled_application(world.a_id)
    first = call(world.tok(), "POST", url(world.a, f"/applications/{application_id}/submit"))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["status"] == "submitted" and first.get_json()["version"] == 1
    error = error_of(call(world.tok(), "POST", url(world.a, f"/applications/{application_id}/submit")), 409)
    assert error["code"] == "conflict"
    assert call(world.tok(), "GET", url(world.a, f"/applications/{application_id}")).get_json()["version"] == 1
    # A draft with empty sections cannot be submitted: 422, not 409.
    empty = call(world.tok(), "POST", url(world.a, "/applications"),
                 json={"scheme": "cq-park", "year": 2030}).get_json()
    error_of(call(world.tok(), "POST", url(world.a, f"/applications/{empty['id']}/submit")), 422)


def test_withdraw_needs_a_reason_and_twice_is_409(world, call):
    path = url(world.a, f"/enterprises/{world.e2}/withdraw")
    assert set(error_of(call(world.tok(), "POST", path, json={"on": "x"}), 422)["fields"]) == {"reason", "on"}
    assert call(world.tok(), "POST", path, json={"reason": "注销"}).get_json()["status"] == "withdrawn"
    error_of(call(world.tok(), "POST", path, json={"reason": "注销"}), 409)


def test_import_with_a_bad_row_is_422_with_rows_and_writes_nothing(world, call):
    before = enterprises_of(world.a_id)
    data = xlsx([["好的有限公司", credit_code_for(7301), 10, "张三"],
                 ["", "91110000600037341X", "many", ""],
                 ["重复有限公司", credit_code_for(7301), 5, ""]])
    error = error_of(call(world.tok(), "POST", url(world.a, "/enterprises/import"), **upload(data)), 422)
    rows = error["rows"]
    assert rows and all(set(r) == {"row", "column", "message"} for r in rows)
    assert {r["row"] for r in rows} == {3, 4}  # the header is row 1
    assert len([r for r in rows if r["row"] == 3]) >= 3  # name, credit code, employees
    assert enterprises_of(world.a_id) == before


def test_import_update_mode_returns_created_and_updated(world, call):
    data = xlsx([["甲一科技（更名）有限公司", credit_code_for(9001), 80, "新联络员"],
                 ["新入园有限公司", credit_code_for(7401), 15, "赵六"]])
    response = call(world.tok(), "POST", url(world.a, "/enterprises/import"), **upload(data, mode="update"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"created": 1, "updated": 1}
    after = enterprises_of(world.a_id)
    assert after[credit_code_for(9001)] == "甲一科技（更名）有限公司" and after[credit_code_for(7401)] == "新入园有限公司"
    # In create mode the existing code is a row error.
    error = error_of(call(world.tok(), "POST", url(world.a, "/enterprises/import"), **upload(data)), 422)
    assert any(r["column"] and r["row"] == 2 for r in error["rows"])


@pytest.mark.parametrize("kw, field", [
    ({"data": {"mode": "create"}, "content_type": "multipart/form-data"}, "file"),
    (upload(b"PK\x03\x04 not really a workbook"), "file"),
    (upload(b"%PDF-1.4\n%%EOF\n", filename="x.pdf"), "file"),
    (upload(b"", filename="empty.xlsx"), "file"),
    (upload(xlsx([]), mode="replace"), "mode"),
])
def test_import_bad_uploads_are_422(world, call, kw, field):
    error = error_of(call(world.tok(), "POST", url(world.a, "/enterprises/import"), **kw), 422)
    assert field in error["fields"]


@pytest.mark.parametrize("kw", [
    {"data": "{not json", "content_type": "application/json"},
    {"data": "", "content_type": "application/json"},
    {"data": "[1, 2]", "content_type": "application/json"},
    {"data": '"text"', "content_type": "application/json"},
    {"data": "null", "content_type": "application/json"},
    {"data": "name=x", "content_type": "application/x-www-form-urlencoded"},
    {"data": b"\xff\xfe\x00garbage", "content_type": "application/json"},
    {"data": b'{"name": "\xff\xfe"}', "content_type": "application/json"},
    {"data": "{}", "content_type": "text/plain"},
])
def test_malformed_bodies_are_400_on_every_write(app, world, call, kw):
    """Every POST/PUT/PATCH answers 400 JSON for a body that is not a JSON object (imports
    are multipart and answer 422)."""
    for rule in api_rules(app):
        for method in methods_of(rule):
            if method not in WRITE_METHODS:
                continue
            role = "instructor" if "visits" in rule.rule and "acknowledge" not in rule.rule else \
                "enterprise" if "acknowledge" in rule.rule else "reviewer" if "decisions" in rule.rule else "admin"
            response = call(world.tok(role), method, build(rule, world.a, world.ids), **{**kw})
            if rule.rule.endswith("/import"):
                assert response.status_code == 422, (method, rule.rule, response.status_code)
            elif rule.rule.endswith(("/acknowledge", "/submit")):  # no body is read
                assert response.status_code < 500, (method, rule.rule, response.status_code)
            else:
                error = error_of(response, 400)
                assert error["code"] == "bad_request", (method, rule.rule)


def test_lone_surrogates_in_json_text_are_never_a_500(world, call):
    """"\\ud800" is valid JSON but no valid Unicode text: refuse it (422), do not crash on it."""
    raw = b'{"name": "\\ud800\\u516c\\u53f8", "credit_code": "%s"}' % credit_code_for(7801).encode()
    response = call(world.tok(), "POST", url(world.a, "/enterprises"), data=raw, content_type="application/json")
    assert response.status_code in (400, 422), (response.status_code, response.get_data(as_text=True)[:300])
    raw = b'{"name": "\\udfff\\u7ad9"}'
    response = call(world.tok(), "POST", url(world.a, "/stations"), data=raw, content_type="application/json")
    assert response.status_code in (400, 422), (response.status_code, response.get_data(as_text=True)[:300])


HUGE = 10 ** 30
EVENT = {"title": "大数", "held_on": "2025-01-01"}


WEIRD = [
    ("GET", "/enterprises/{huge}", None),
    ("GET", "/enterprises/{huge}/checklist", None),
    ("GET", "/enterprises/{e1}/survey/{huge}", None),
    ("GET", "/plans/{huge}", None),
    ("GET", "/applications/{huge}", None),
    ("GET", "/applications/{huge}/dossier.pdf", None),
    ("PATCH", "/enterprises/{huge}", {"name": "x"}),
    ("POST", "/visits/{huge}/acknowledge", None),
    ("POST", "/enterprises", {"name": "大数有限公司", "credit_code": credit_code_for(7501), "employees": HUGE}),
    ("PUT", "/enterprises/{e1}/survey/2025", {"employees": HUGE, "patents": HUGE}),
    ("POST", "/service-logs", {"served_on": "2025-01-01", "station_id": HUGE, "category": "consultation",
                               "non_member": "某公司"}),
    ("POST", "/service-logs", {"served_on": "2025-01-01", "station_id": "{station}", "category": "consultation",
                               "enterprise_id": HUGE}),
    ("POST", "/visits", {"enterprise_id": HUGE, "visited_on": "2025-01-01", "topics": ["rules"]}),
    ("POST", "/visits", {"enterprise_id": "{e1}", "visited_on": "2025-01-01", "topics": ["rules"],
                         "instructor_ids": [HUGE]}),
    ("POST", "/trainings", {**EVENT, "attendance": [{"enterprise_id": HUGE, "headcount": 1}]}),
    ("POST", "/trainings", {**EVENT, "attendance": [{"enterprise_id": "{e1}", "headcount": HUGE}]}),
    ("POST", "/trainings", {**EVENT, "organiser": "enterprise", "organiser_enterprise_id": HUGE}),
    ("POST", "/trainings", {**EVENT, "organiser": "enterprise", "organiser_enterprise_id": [1]}),
    ("POST", "/trainings", {**EVENT, "organiser": "enterprise", "organiser_enterprise_id": {"a": 1}}),
    ("POST", "/trainings", '{"title": "类型", "held_on": "2025-01-01", "hours": Infinity}'),
    ("POST", "/trainings", '{"title": "类型", "held_on": "2025-01-01", "hours": 1e999}'),
    ("PUT", "/plans/2025", {"targets": [{"name": "x", "target": HUGE}], "publicity_events_target": 1e300}),
    # Literal NaN and Infinity (the app's JSON, test client included, writes none: raw text).
    ("PUT", "/plans/2025", '{"targets": [{"name": "x", "target": NaN}]}'),
    ("PUT", "/plans/2025", '{"targets": [{"name": "x", "target": Infinity}]}'),
    ("PUT", "/plans/2025", '{"training_ratio_target": NaN}'),
    ("PATCH", "/visits/{visit}", {"visited_on": None}),
    ("POST", "/applications", {"scheme": "cq-park", "year": HUGE}),
    ("POST", "/applications", {"scheme": ["cq-park"]}),
    ("POST", "/stations", {"name": "站", "office": ["independent"], "address": 5}),
    ("PUT", "/enterprises/{e1}/checklist", {"items": [{"code": ["x"], "state": {"a": 1}}, 5, None]}),
    ("PATCH", "/enterprises/{e1}", {"status": ["withdrawn"], "flags": [["x"]], "liaison": {"name": ["x"]}}),
]


@pytest.mark.parametrize("method, tail, body", WEIRD, ids=[
    f"{m} {t} {(b if isinstance(b, str) else ','.join(b)) if b else ''}".strip() for m, t, b in WEIRD])
def test_huge_numbers_and_wrong_types_are_never_a_500(world, call, method, tail, body):
    values = {"huge": HUGE, "e1": world.e1, "station": world.ids["station_id"], "visit": world.ids["visit_id"]}
    path = url(world.a, tail.format(**values))

    def fill(node):
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        if isinstance(node, str) and re.fullmatch(r"{\w+}", node):
            return values[node[1:-1]]
        return node

    role = "instructor" if tail.startswith("/visits") and not tail.endswith("acknowledge") else \
        "enterprise" if tail.endswith("acknowledge") else "admin"
    kw = {"data": body, "content_type": "application/json"} if isinstance(body, str) else \
        {"json": fill(body)} if body is not None else {}
    response = call(world.tok(role), method, path, **kw)
    assert response.status_code in (400, 404, 409, 422), (method, tail, response.status_code,
                                                          response.get_data(as_text=True)[:300])
    error_of(response, response.status_code)


@pytest.mark.parametrize("tail, query", [
    ("/enterprises", {"page": 0}), ("/enterprises", {"page": -1}), ("/enterprises", {"page": "abc"}),
    ("/enterprises", {"per_page": 500}), ("/enterprises", {"per_page": 0}), ("/enterprises", {"per_page": 201}),
    ("/enterprises", {"page": "1e3"}), ("/enterprises", {"page": str(HUGE)}), ("/stations", {"per_page": "x"}),
    ("/visits", {"page": 0}), ("/trainings", {"per_page": 500}), ("/applications", {"page": "-"}),
    ("/service-logs", {"from": "abc"}), ("/service-logs", {"to": "2025-02-30"}),
    ("/service-logs", {"category": "gossip"}), ("/service-logs", {"enterprise_id": "abc"}),
    ("/metrics", {"from": "abc"}), ("/metrics", {"from": "2025-06-01", "to": "2025-01-01"}),
    ("/metrics", {"to": "20250101x"}),
    ("/readiness", {"year": "abc"}), ("/readiness", {"year": 99999}), ("/readiness", {"year": -5}),
])
def test_bad_query_parameters_are_400(world, call, tail, query):
    error = error_of(call(world.tok(), "GET", url(world.a, tail), query_string=query), 400)
    assert error["code"] == "bad_request"


@pytest.mark.parametrize("query", [{"year": "abc"}, {"year": 99999}, {"year": -1}, {"year": 0}, {"year": str(HUGE)}])
def test_bad_year_of_the_bureau_overview_is_400(world, call, query):
    response = call(world.tok("reviewer"), "GET", f"{API}/bureaus/{world.bureau_a}/overview", query_string=query)
    error_of(response, 400)


@pytest.mark.parametrize("tail, query, status", [
    ("/enterprises", {"status": "bogus"}, 200),  # an unknown filter value is ignored
    ("/service-logs", {"enterprise_id": str(HUGE)}, 200),
    ("/service-logs", {"from": "0001-01-01", "to": "9999-12-31"}, 200),
    ("/metrics", {"from": "0001-01-01", "to": "9999-12-31"}, 200),
    ("/readiness", {"scheme": "no-such-scheme"}, 404),
])
def test_odd_but_harmless_query_parameters(world, call, tail, query, status):
    response = call(world.tok(), "GET", url(world.a, tail), query_string=query)
    assert response.status_code == status, (tail, query, response.status_code, response.get_data(as_text=True)[:300])


def test_unsupported_method_is_a_json_405(world, call):
    response = call(world.tok(), "DELETE", url(world.a, f"/enterprises/{world.e1}"))
    assert response.status_code == 405 and response.is_json
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    response = call(world.tok(), "GET", url(world.a, "/no-such-thing"))
    assert error_of(response, 404)["code"] == "not_found"


# --- lists and representation --------------------------------------------------------------------

def test_pages_page_per_page_and_total(world, call):
    for n in range(5):
        assert call(world.tok(), "POST", url(world.a, "/stations"), json={"name": f"站{n}"}).status_code == 201
    total = 6  # with the fixture's station
    first = call(world.tok(), "GET", url(world.a, "/stations")).get_json()
    assert (first["page"], first["per_page"], first["total"], len(first["items"])) == (1, 50, total, total)
    seen = []
    for page in (1, 2, 3, 4):
        query = {"page": page, "per_page": 2}
        body = call(world.tok(), "GET", url(world.a, "/stations"), query_string=query).get_json()
        assert (body["page"], body["per_page"], body["total"]) == (page, 2, total)
        assert len(body["items"]) == [2, 2, 2, 0][page - 1]
        seen += [s["id"] for s in body["items"]]
    assert len(seen) == len(set(seen)) == total
    assert seen == [s["id"] for s in first["items"]]  # a stable order
    body = call(world.tok(), "GET", url(world.a, "/stations"), query_string={"per_page": 200}).get_json()
    assert body["per_page"] == 200 and len(body["items"]) == total
    error = error_of(call(world.tok(), "GET", url(world.a, "/stations"), query_string={"per_page": 201}), 400)
    assert "200" in error["message"]


def test_enterprise_list_filter_and_total(world, call):
    assert call(world.tok(), "PATCH", url(world.a, f"/enterprises/{world.e2}"),
                json={"status": "cultivating"}).status_code == 200
    body = call(world.tok(), "GET", url(world.a, "/enterprises"), query_string={"status": "cultivating"}).get_json()
    assert body["total"] == 1 and [e["id"] for e in body["items"]] == [world.e2]
    assert call(world.tok(), "GET", url(world.a, "/enterprises")).get_json()["total"] == 2


def test_service_log_filters(world, call):
    station = world.ids["station_id"]
    for day, category, enterprise in (("2025-01-10", "publicity", world.e2), ("2025-02-10", "consultation", world.e2)):
        entry = {"served_on": day, "station_id": station, "category": category, "enterprise_id": enterprise}
        assert call(world.tok(), "POST", url(world.a, "/service-logs"), json=entry).status_code == 201

    def ids(**query):
        body = call(world.tok(), "GET", url(world.a, "/service-logs"), query_string=query).get_json()
        assert body["total"] == len(body["items"])
        return [(e["served_on"], e["category"]) for e in body["items"]]

    # feature_rows made a consultation on 1 March and a complaint (referred) on 5 March.
    assert ids() == [("2025-03-05", "complaint"), ("2025-03-01", "consultation"), ("2025-02-10", "consultation"),
                     ("2025-01-10", "publicity")]
    assert ids(**{"from": "2025-02-01"}) == [("2025-03-05", "complaint"), ("2025-03-01", "consultation"),
                                             ("2025-02-10", "consultation")]
    assert ids(to="2025-02-10") == [("2025-02-10", "consultation"), ("2025-01-10", "publicity")]
    assert ids(category="publicity") == [("2025-01-10", "publicity")]
    assert ids(enterprise_id=world.e1) == [("2025-03-05", "complaint"), ("2025-03-01", "consultation")]


def iter_values(node, key=None):
    """(key, value) of every scalar in a JSON document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from iter_values(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from iter_values(v, key)
    else:
        yield key, node


DATE_KEYS = {"joined_on", "recognised_on", "opened_on", "served_on", "follow_up_due", "visited_on", "held_on",
             "notice_start", "notice_end", "rereview_due", "from", "to"}
DATETIME_KEYS = {"acknowledged_at", "submitted_at"}
ENUM_KEYS = {"status", "category", "office", "mode", "kind", "follow_up", "state", "organiser", "topics", "flags"}


def test_dates_are_iso_8601_and_enumerations_english_snake_case(world, call):
    tok = world.tok()
    call(world.tok("enterprise"), "POST", url(world.a, f"/visits/{world.ids['visit_id']}/acknowledge"))
    application_id = filled_application(world.a_id)
    assert call(tok, "POST", url(world.a, f"/applications/{application_id}/submit")).status_code == 200
    assert call(tok, "POST", url(world.a, "/service-logs"), json={
        "served_on": "2025-03-05", "station_id": world.ids["station_id"], "category": "rights_assistance",
        "enterprise_id": world.e1, "follow_up": "open", "follow_up_due": "2025-04-01"}).status_code == 201
    documents = [call(tok, "GET", url(world.a, tail)).get_json() for tail in (
        "/", "/enterprises", f"/enterprises/{world.e1}/checklist", "/stations", "/service-logs", "/visits",
        "/trainings", "/applications", "/metrics", "/readiness")]
    seen_dates, seen_datetimes, seen_enums = 0, 0, 0
    for doc in documents:
        for key, value in iter_values(doc):
            if value is None:
                continue
            if key in DATE_KEYS:
                assert isinstance(value, str) and ISO_DATE.match(value), (key, value)
                date.fromisoformat(value)
                seen_dates += 1
            elif key in DATETIME_KEYS:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
                assert parsed.tzinfo is not None, f"{key}={value!r} has no UTC offset (RFC 3339 / OpenAPI date-time)"
                seen_datetimes += 1
            elif key in ENUM_KEYS:
                assert isinstance(value, str) and SNAKE.match(value), (key, value)
                seen_enums += 1
    assert seen_dates >= 10 and seen_datetimes >= 2 and seen_enums >= 10
    profile = documents[0]
    assert profile["kind"] == "park" and profile["role"] == "admin" and profile["bureau"] == "甲区市场监督管理局"
    # ids are integers.
    assert all(isinstance(v, int) and not isinstance(v, bool) for d in documents
               for k, v in iter_values(d) if k in ("id", "enterprise_id", "station_id") and v is not None)


def test_enterprise_round_trip(world, call):
    body = {"name": "  往返科技有限公司 ", "credit_code": credit_code_for(7601).lower(), "industry": "制造业",
            "employees": 42, "status": "cultivating", "joined_on": "2024-05-06",
            "liaison": {"name": "钱七", "position": "法务", "mobile": "13900000000", "landline": "027-87654321 转 8",
                        "email": "qian@example.com"},
            "flags": ["specialised", "gazelle"], "adopted_standard": True}
    created = call(world.tok(), "POST", url(world.a, "/enterprises"), json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    got = call(world.tok(), "GET", url(world.a, f"/enterprises/{created.get_json()['id']}")).get_json()
    assert got == created.get_json()
    assert got["name"] == "往返科技有限公司" and got["credit_code"] == credit_code_for(7601)
    same = ("industry", "employees", "status", "joined_on", "adopted_standard")
    assert {k: got[k] for k in same} == {k: body[k] for k in same}
    assert sorted(got["flags"]) == ["gazelle", "specialised"] and got["liaison"] == body["liaison"]


def test_metrics_default_to_the_current_calendar_year(world, call):
    body = call(world.tok(), "GET", url(world.a, "/metrics")).get_json()
    year = date.today().year
    assert (body["from"], body["to"]) == (f"{year}-01-01", f"{year}-12-31")
    assert isinstance(body["metrics"], dict) and body["metrics"]
    query = {"scheme": "cq-park", "year": 2025}
    readiness = call(world.tok(), "GET", url(world.a, "/readiness"), query_string=query).get_json()
    assert readiness["scheme"] == "cq-park" and readiness["year"] == 2025
    assert {"code", "cap", "raw", "awarded"} == set(readiness["groups"][0])
    assert {"code", "title", "points", "awarded", "kind", "status", "value", "missing"} == set(readiness["items"][0])


# --- throttling ----------------------------------------------------------------------------------

def test_throttling_is_per_token_with_429_and_retry_after(app, world, call, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "5 per minute")
    first, second = world.tok("admin"), world.tok("staff")
    for n in range(5):
        assert call(first, "GET", url(world.a, "/enterprises")).status_code == 200, n
    throttled = call(first, "GET", url(world.a, "/enterprises"))
    error = error_of(throttled, 429)
    assert error["code"] == "throttled"
    retry = throttled.headers.get("Retry-After")
    assert retry is not None and retry.isdigit() and 0 < int(retry) <= 60, throttled.headers
    # Another token (same client address) is not throttled.
    assert call(second, "GET", url(world.a, "/enterprises")).status_code == 200
    # Writes share the token's budget (one GET used above) and are refused before anything is written.
    statuses = [call(second, "POST", url(world.a, "/stations"), json={"name": f"限流站{n}"}).status_code
                for n in range(6)]
    assert statuses == [201] * 4 + [429] * 2
    listing = call(world.tok("instructor"), "GET", url(world.a, "/stations")).get_json()
    assert listing["total"] == 5  # the fixture's station and four
    # The reference document is not throttled.
    for _ in range(7):
        assert call(None, "GET", f"{API}/openapi.json").status_code == 200


def test_throttle_budget_is_per_token_across_the_whole_api(app, world, call, monkeypatch):
    """"Throttling per token (default 600 requests/minute)": one budget per token, not one per
    endpoint (else a token gets 600/minute on each of ~30 routes)."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "5 per minute")
    raw = world.tok()
    tails = ["/", "/enterprises", "/stations", "/visits", "/trainings", "/metrics"]
    statuses = [call(raw, "GET", url(world.a, tail)).status_code for tail in tails]
    assert statuses == [200] * 5 + [429], statuses


def test_throttle_limit_is_read_per_request(app, world, call, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    raw = world.tok()
    assert [call(raw, "GET", url(world.a, "/")).status_code for _ in range(3)] == [200, 200, 429]
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100 per minute")
    assert call(raw, "GET", url(world.a, "/")).status_code == 200


def test_bureau_overview_is_throttled_per_token_too(app, world, call, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    raw = world.tok("reviewer")
    statuses = [call(raw, "GET", f"{API}/bureaus/{world.bureau_a}/overview").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429], statuses


def test_the_api_cannot_declare_a_demonstration_unit(world, call):
    """A demonstration unit is a bureau's recognition: the API refuses the status, naming it."""
    error = error_of(call(world.tok(), "POST", url(world.a, "/enterprises"), json={
        "name": "自称示范有限公司", "credit_code": credit_code_for(7701), "status": "demonstration"}), 422)
    assert "recognised by a bureau" in error["fields"]["status"]
    error = error_of(call(world.tok(), "PATCH", url(world.a, f"/enterprises/{world.e1}"),
                          json={"status": "demonstration"}), 422)
    assert "status" in error["fields"]
