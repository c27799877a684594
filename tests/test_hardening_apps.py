"""Hardening of applications, plans, bureau targets, API tokens and numbers (issue 18, items 8,
9 and 13): an edit racing a submission changes nothing; a submitted version's PDF never changes
and is made again, when lost, in its own language; bad numbers and ids are refused with the
field named, never a 500, a record that cannot be opened, or `Infinity` in JSON.

The races are reproduced deterministically: one session reads, another commits, then the first
writes through the same service the page uses.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from saas.api import tokens as api_tokens
from saas.auth.models import User
from saas.extensions import db
from saas.jobs import JobContext, JobRecord
from saas.tenancy import Tenant, tenant_scope, utcnow
from tenants.applications import services
from tenants.applications.models import Application
from tenants.bureau.models import BureauTarget
from tenants.members.models import Enterprise
from tenants.plans.models import AnnualPlan, PlanTarget

from .factories import credit_code_for
from .test_applications import TEXTS, Y, add_member, application, fill, members, move, pdf_pages, reading, \
    run_worker, start, submit, text, url, world  # noqa: F401


def sections_of(snapshot: dict) -> dict:
    return {s["code"]: s["text"] for s in snapshot["sections"]}


# --- item 8: editing is compare-and-set like submitting -------------------------------------------

def test_an_edit_that_loses_the_race_with_a_submission_changes_nothing(world, app):
    members(world, demo=0, plain=2)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    with app.test_request_context(), tenant_scope(world.tid):
        # The edit's request has read the application, still a draft...
        stale = db.session.get(Application, application_id)
        assert stale.editable and stale.version == 0
        # ...when another session submits it and commits.
        assert submit(world.admin, application_id).status_code == 302
        with pytest.raises(services.ApplicationError) as refused:
            services.save_sections(stale, {**TEXTS, "basic": "提交之后才写入的文字"})
        assert refused.value.conflict
        db.session.commit()  # even committed, the refused edit wrote nothing
    a = application(world.tid, application_id)
    assert a.status == "submitted" and a.version == 1
    assert a.sections == sections_of(a.snapshot) == sections_of(a.versions[0].snapshot) == TEXTS


def test_a_submission_freezes_an_edit_committed_just_before_it(world, app):
    members(world, demo=0, plain=2)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    with app.test_request_context(), tenant_scope(world.tid):
        # The submission's request has read the application...
        stale = db.session.get(Application, application_id)
        assert stale.sections == TEXTS
        # ...when another session's edit commits.
        fill(world.admin, application_id, cases="提交前一刻补充的案例。")
        services.submit(stale, db.session.get(User, world.admin_id), db.session.get(Tenant, world.tid))
        db.session.commit()
    a = application(world.tid, application_id)
    assert a.status == "submitted"
    assert a.sections["cases"] == "提交前一刻补充的案例。"
    assert sections_of(a.snapshot) == sections_of(a.versions[0].snapshot) == a.sections


def test_a_form_opened_before_a_submission_cannot_overwrite_the_returned_application(world):
    members(world, demo=0, plain=2)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    form = text(world.admin.get(url("park", application_id)))
    opened_at = re.search(r'name="version" value="(\d+)"', form).group(1)
    assert opened_at == "0"
    # Submitted, then returned by the district: editable again, at version 1.
    assert submit(world.admin, application_id).status_code == 302
    move(world.dist, application_id, "returned", comment="请补充")
    assert application(world.tid, application_id).status == "returned"
    # The form drawn before the submission is posted now: refused, nothing written.
    stale = world.admin.post(url("park", application_id, "/sections"),
                             data={**TEXTS, "basic": "旧表单里的文字", "version": opened_at})
    assert stale.status_code == 302
    assert "your changes were not saved" in text(world.admin.get(stale.headers["Location"]))
    a = application(world.tid, application_id)
    assert a.sections == sections_of(a.versions[0].snapshot) == TEXTS
    # A form drawn now saves.
    fresh = re.search(r'name="version" value="(\d+)"', text(world.admin.get(url("park", application_id)))).group(1)
    assert fresh == "1"
    world.admin.post(url("park", application_id, "/sections"), data={**TEXTS, "basic": "修改后的文字", "version": fresh})
    assert application(world.tid, application_id).sections["basic"] == "修改后的文字"


# --- item 9: a submitted version's file is immutable, remade only when lost, in its language ----

@pytest.fixture
def chinese_submission(make, login_as, app):
    """A Chinese tenant's application submitted from Chinese pages, its PDF made by the worker;
    an administrator whose pages are English."""
    tenant = make.tenant(slug="cn-park", name="两江新区商业秘密保护示范园区")  # Chinese pages
    make.user("zh-admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    english = make.user("en-admin@example.com", name="English admin", tenant=tenant, role="admin")
    english.locale = "en"
    db.session.commit()
    for i in range(5):
        make.enterprise(tenant, name=f"成员企业{i + 1}")
    chinese = login_as("zh-admin@example.com")
    application_id = start(chinese, slug="cn-park")
    fill(chinese, application_id, slug="cn-park")
    assert submit(chinese, application_id, slug="cn-park").status_code == 302
    run_worker()
    v1 = application(tenant.id, application_id).versions[0]
    path = Path(app.config["UPLOAD_DIR"]) / v1.pdf_path
    return SimpleNamespace(tid=tenant.id, application_id=application_id, v1=v1, path=path, made=path.read_bytes(),
                           english=login_as("en-admin@example.com"))


@pytest.mark.slow
def test_a_submitted_versions_pdf_never_changes_and_is_remade_in_its_own_language(chinese_submission, app):
    s = chinese_submission
    assert s.v1.snapshot["locale"] == "zh_CN"
    assert hashlib.sha256(s.made).hexdigest() == s.v1.pdf_sha256
    assert "申报表" in "".join(pdf_pages(s.made))
    pdf_url = url("cn-park", s.application_id, "/versions/1/pdf")

    # Made again from English pages while the file exists: refused, nothing queued or changed.
    refused = s.english.post(pdf_url)
    assert refused.status_code == 302
    assert "does not change" in text(s.english.get(refused.headers["Location"]))
    with reading(s.tid) as session:
        assert session.scalar(sa.select(sa.func.count(JobRecord.id))) == 1
    # A job that reaches the worker anyway (queued in English before) leaves the file alone too.
    from tenants.applications.tasks import version_pdf

    with app.test_request_context(), tenant_scope(s.tid):
        version_pdf(JobContext(0), s.application_id, 1, "en")
        db.session.commit()
    assert s.path.read_bytes() == s.made
    a = application(s.tid, s.application_id)
    assert (a.versions[0].pdf_sha256, a.pdf_sha256) == (s.v1.pdf_sha256, s.v1.pdf_sha256)

    # The file is lost: made again from English pages, in the version's own language (Chinese),
    # the same bytes, the recorded SHA-256 unchanged and true again.
    s.path.unlink()
    page = text(s.english.get(url("cn-park", s.application_id)))
    assert f'action="{pdf_url}"' in page, "a lost file offers to make it again"
    assert s.english.post(pdf_url).status_code == 302
    run_worker()
    remade = s.path.read_bytes()
    whole = "".join(pdf_pages(remade))
    assert "申报表" in whole and "基本情况" in whole and "Application form" not in whole
    assert remade == s.made
    a = application(s.tid, s.application_id)
    assert a.versions[0].pdf_sha256 == s.v1.pdf_sha256 == hashlib.sha256(remade).hexdigest()
    assert s.english.get(pdf_url).data == s.made


def test_a_version_frozen_before_its_language_was_recorded_is_read_from_its_titles(app):
    from tenants.applications.tasks import version_locale

    with app.test_request_context():
        assert version_locale({"sections": [{"code": "basic", "title": "基本情况", "text": ""}]}) == "zh_CN"
        assert version_locale({"sections": [{"code": "basic", "title": "Basic situation", "text": ""}]}) == "en"
        assert version_locale({"locale": "en", "sections": []}) == "en"


# --- item 13: bad numbers are refused with the field named; never a 500 ---------------------------

HUGE = 10 ** 30
BAD_YEARS = ["99999", "-5", "0", str(HUGE)]


@pytest.fixture
def api(world, client):
    """The tenant administrator's API token and a call helper."""
    with tenant_scope(world.tid):
        _token, raw = api_tokens.issue(db.session.get(User, world.admin_id), db.session.get(Tenant, world.tid), "t")
        db.session.commit()

    def call(method, tail, **kw):
        return client.open(f"/api/v1/tenants/park{tail}", method=method,
                           headers={"Authorization": f"Bearer {raw}"}, **kw)

    return call


def strict_json(response):
    """The body parsed as JSON proper: `Infinity` and `NaN` are not JSON."""
    def refuse(name):
        raise AssertionError(f"{name} in a JSON response")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def flashed(client, response) -> str:
    assert response.status_code == 302, response.status_code
    return text(client.get(response.headers["Location"]))


@pytest.mark.parametrize("year", BAD_YEARS)
def test_an_application_year_out_of_the_plan_years_is_refused_by_the_form_as_by_the_api(world, api, year):
    page = flashed(world.admin, world.admin.post(url("park", tail="/start"), data={"scheme": "cq-park", "year": year}))
    assert "Year: choose a year from 2000 to 2100." in page
    response = api("POST", "/applications", json={"scheme": "cq-park", "year": int(year)})
    assert response.status_code == 422 and "year" in response.get_json()["error"]["fields"]
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(Application.id))) == 0
    assert world.admin.get(url("park", tail="/")).status_code == 200


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "NaN", "1e999", "-5", "1e10"])
def test_a_plan_target_that_is_not_a_finite_number_in_range_is_refused_by_the_form(world, api, value):
    response = world.admin.post(f"/t/park/plans/{Y}/edit", data={"t_name": "服务次数", "t_unit": "次", "t_target": value,
                                                                 "t_metric": ""})
    assert response.status_code == 422
    assert "The target of “服务次数” must be a number from 0 to 1000000000." in text(response) or \
        "is not a number" in text(response)
    assert api("GET", f"/plans/{Y}").status_code == 404, "nothing was saved"
    assert world.admin.get(f"/t/park/plans/{Y}").status_code == 200


@pytest.mark.parametrize("field", ["training_ratio_target", "rules_ratio_target"])
@pytest.mark.parametrize("value", ["sNaN", "-sNaN"])
def test_a_plan_figure_that_is_not_a_finite_number_in_range_is_refused_by_the_form(world, api, field, value):
    response = world.admin.post(f"/t/park/plans/{Y}/edit", data={field: value})
    assert response.status_code == 200 and "invalid-feedback" in text(response), "the form shows the field's error"
    assert api("GET", f"/plans/{Y}").status_code == 404, "nothing was saved"


@pytest.mark.parametrize("payload, field", [
    ('{"targets": [{"name": "x", "target": 1e999}]}', "targets[0].target"),
    ('{"targets": [{"name": "x", "target": -1e999}]}', "targets[0].target"),
    ('{"targets": [{"name": "x", "target": %d}]}' % HUGE, "targets[0]"),
    ('{"targets": [{"name": "x", "target": -1}]}', "targets[0]"),
    ('{"publicity_events_target": 2.5}', "publicity_events_target"),
])
def test_a_plan_number_out_of_range_is_refused_by_the_api_with_its_field(world, api, payload, field):
    response = api("PUT", f"/plans/{Y}", data=payload, content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["error"]["fields"]
    assert api("GET", f"/plans/{Y}").status_code == 404


def test_json_responses_never_carry_infinity_or_nan(world, api):
    """A row written before the inputs were bounded is answered as null, not as invalid JSON."""
    with tenant_scope(world.tid):  # as rows, past the audit log (PostgreSQL's json refuses Infinity)
        plan_id = db.session.execute(sa.insert(AnnualPlan.__table__).values(
            tenant_id=world.tid, year=Y, training_ratio_target=float("inf"), key_tasks="", budget="",
            schedule="").returning(AnnualPlan.__table__.c.id)).scalar_one()
        db.session.execute(sa.insert(PlanTarget.__table__).values(tenant_id=world.tid, plan_id=plan_id, name="旧数据",
                                                                  unit="次", target=float("inf"), metric=""))
        db.session.commit()
    response = api("GET", f"/plans/{Y}")
    assert response.status_code == 200
    plan = strict_json(response)
    assert plan["training_ratio_target"] is None and plan["targets"][0]["target"] is None
    assert world.admin.get(f"/t/park/plans/{Y}").status_code == 200


@pytest.mark.parametrize("value", [str(HUGE), "1000001", "-1", "1e3", "nan", "²", "1" * 5000])
def test_a_bureau_target_out_of_range_is_refused_with_its_field(world, value):
    with reading(world.tid) as s:
        s.get(User, world.district_reviewer_id).locale = "en"
        s.commit()
    response = world.dist.post(f"/bureau/targets/{Y}", data={"bases": "3", "stations": value})
    assert "Guidance stations: a whole number from 0 to 1000000." in flashed(world.dist, response)
    with reading(world.tid) as s:
        assert s.scalar(sa.select(sa.func.count(BureauTarget.id))) == 0
    assert world.dist.get(f"/bureau/?year={Y}").status_code == 200


def test_a_bureau_target_of_a_year_the_page_cannot_show_is_404_and_the_largest_is_kept(world):
    for year in (99999, 1999, 2101):
        assert world.dist.post(f"/bureau/targets/{year}", data={"bases": "3"}).status_code == 404
    world.dist.post(f"/bureau/targets/{Y}", data={"bases": "1000000", "stations": ""})
    with reading(world.tid) as s:
        assert s.execute(sa.select(BureauTarget.year, BureauTarget.bases, BureauTarget.stations)).all() == \
            [(Y, 1000000, None)]
    assert world.dist.get(f"/bureau/?year={Y}").status_code == 200


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(path))).group(1)


@pytest.fixture
def english_account(world):
    """The account pages belong to no tenant: the administrator reads them in English."""
    with reading(world.tid) as s:
        s.get(User, world.admin_id).locale = "en"
        s.commit()


@pytest.mark.parametrize("days", ["999999999", "3651", "0", "-5", str(HUGE), "1" * 5000, "abc"])
def test_a_token_lifetime_out_of_range_is_refused_with_its_field(world, english_account, days):
    token = _csrf(world.admin, "/account/tokens/")
    response = world.admin.post("/account/tokens/", data={"csrf_token": token, "tenant_id": str(world.tid),
                                                          "name": "集成", "days": days})
    assert response.status_code == 200
    assert "Expires in days: a whole number from 1 to 3650" in text(response)
    assert 'id="new-token"' not in text(response)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(api_tokens.ApiToken.id))) == 0


def test_a_token_lives_ten_years_at_most_and_bad_ids_or_csrf_are_not_a_500(world, app):
    token = _csrf(world.admin, "/account/tokens/")
    for tenant_id in (str(HUGE), "1" * 5000, "²"):
        response = world.admin.post("/account/tokens/", data={"csrf_token": token, "tenant_id": tenant_id, "days": "1"})
        assert response.status_code == 404
    assert world.admin.post("/account/tokens/", data={"tenant_id": str(world.tid), "days": "1"}).status_code == 400
    assert world.admin.post(f"/account/tokens/{HUGE}/revoke", data={"csrf_token": token}).status_code == 404
    response = world.admin.post("/account/tokens/", data={"csrf_token": token, "tenant_id": str(world.tid),
                                                          "days": "3650"})
    assert 'id="new-token"' in text(response)
    db.session.rollback()
    row = db.session.scalar(sa.select(api_tokens.ApiToken))
    assert timedelta(days=3649) < row.expires_at - utcnow() <= timedelta(days=3650)
    result = app.test_cli_runner().invoke(args=["tokens", "create", "admin@example.com", "--tenant", "park",
                                                "--days", "999999999"])
    assert result.exit_code != 0 and "999999999" in result.output
    assert db.session.scalar(sa.select(sa.func.count(api_tokens.ApiToken.id))) == 1


@pytest.mark.parametrize("value, status", [("1" * 5000, 200), ("²", 400), ("٣", 400)])
def test_an_enterprise_id_filter_beyond_the_database_is_never_a_500(world, api, value, status):
    response = api("GET", "/service-logs", query_string={"enterprise_id": value})
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 200:
        assert strict_json(response)["items"] == []


def test_ids_and_pages_in_query_strings_of_every_page_are_never_a_500(app, world):
    """Every GET page of a tenant, and the bureau's, with each id-like argument out of range."""
    members(world, demo=0, plain=1)
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.arguments <= {"tenant_slug"}
             and not r.rule.startswith(("/api/", "/static", "/bootstrap"))]
    assert len(rules) > 30
    for value in (str(HUGE), "1" * 5000, "²", "-1", "0"):
        query = {k: value for k in ("page", "enterprise", "enterprise_id", "station", "user", "year", "event",
                                    "visit", "id", "application", "tenant")}
        for rule in rules:
            path = rule.rule.replace("<tenant_slug>", "park")
            for client in (world.admin, world.dist):
                response = client.get(path, query_string=query)
                assert response.status_code < 500, (path, value, response.status_code)


def test_ticked_ids_beyond_the_database_are_left_out(world, make):
    enterprise_id = add_member(world, "被指派企业")
    instructor = make.user("teacher@example.com", tenant=world.tenant, role="instructor")
    response = world.admin.post(f"/t/park/visits/instructors/{instructor.id}/enterprises",
                                data={"enterprise": [str(enterprise_id), str(HUGE), "²", "1" * 5000]})
    assert response.status_code == 302


# Two identical imports at once ------------------------------------------------------------------

def roster_file(codes: list[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["企业名称", "统一社会信用代码", "职工人数", "联络员"])
    for n, code in enumerate(codes, start=1):
        ws.append([f"同时导入企业{n}", code, 10, f"联络员{n}"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def while_first_import_is_uncommitted(app, tenant_id: int, data: bytes, second):
    """The first import has written its rows, uncommitted, when the second (`second()`, in a
    thread) has checked the roster and is about to write the same credit codes; then the first
    commits. Returns what `second` returned."""
    from tenants.members.importer import run_import

    about_to_write, out = threading.Event(), {}

    def watch(_conn, _cursor, statement, *_args):
        # SQLite: the INSERT; PostgreSQL: the ids drawn for the COPY that follows (saas.bulk).
        sql = statement.upper()
        if threading.get_ident() == out.get("thread") and ("INSERT INTO ENTERPRISE" in sql or "NEXTVAL" in sql):
            about_to_write.set()

    def run():
        out["thread"] = threading.get_ident()
        try:
            out["result"] = second()
        except BaseException as exc:  # noqa: BLE001  (reported in the test's thread)
            out["error"] = exc

    with app.app_context(), tenant_scope(tenant_id):
        first = run_import(data, "create")
        assert first.ok and first.created == 2
        sa.event.listen(db.engine, "before_cursor_execute", watch)
        try:
            thread = threading.Thread(target=run)
            thread.start()
            assert about_to_write.wait(60), out.get("error")
            db.session.commit()
            thread.join(60)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", watch)
        db.session.remove()
    if "error" in out:
        raise out["error"]
    return out["result"]


def enterprise_codes(tenant_id) -> list[str]:
    with reading(tenant_id) as s:
        return sorted(s.scalars(sa.select(Enterprise.credit_code)))


CODES = [credit_code_for(8101), credit_code_for(8102)]


def test_the_second_of_two_identical_imports_at_once_is_told_the_rows_are_there(world, app):
    from tenants.members.importer import run_import

    def second():
        with app.app_context(), tenant_scope(world.tid):
            result = run_import(roster_file(CODES), "create")
            db.session.rollback()
            return [(e.row, e.message) for e in result.errors]

    errors = while_first_import_is_uncommitted(app, world.tid, roster_file(CODES), second)
    assert [(row, "同时导入企业1" in message or "同时导入企业2" in message) for row, message in errors] == \
        [(2, True), (3, True)], errors  # "Already in the roster: …" (in the worker's language, Chinese)
    assert enterprise_codes(world.tid) == sorted(CODES)


def test_an_update_import_at_the_same_time_as_a_create_updates_the_rows(world, app):
    from tenants.members.importer import run_import

    def second():
        with app.app_context(), tenant_scope(world.tid):
            result = run_import(roster_file(CODES), "update")
            db.session.commit()
            return result.created, result.updated, result.unchanged, result.errors

    assert while_first_import_is_uncommitted(app, world.tid, roster_file(CODES), second) == (0, 0, 2, [])
    assert enterprise_codes(world.tid) == sorted(CODES)


def test_two_identical_imports_at_once_through_the_api_and_the_form(world, app, api):
    data = roster_file(CODES)
    # The token's use is recorded now, not during the race (SQLite has one writer at a time).
    assert api("GET", "/").status_code == 200

    def through_api():
        return api("POST", "/enterprises/import", data={"file": (io.BytesIO(data), "名录.xlsx"), "mode": "create"},
                   content_type="multipart/form-data")

    response = while_first_import_is_uncommitted(app, world.tid, data, through_api)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert [r["row"] for r in response.get_json()["error"]["rows"]] == [2, 3]
    assert "Already in the roster" in response.get_json()["error"]["rows"][0]["message"]
    assert enterprise_codes(world.tid) == sorted(CODES)

    other = [credit_code_for(8103), credit_code_for(8104)]
    data = roster_file(other)

    def through_form():
        return world.admin.post("/t/park/members/import", data={"file": (io.BytesIO(data), "名录.xlsx"),
                                                                 "mode": "create"},
                                content_type="multipart/form-data")

    response = while_first_import_is_uncommitted(app, world.tid, data, through_form)
    assert response.status_code == 422
    assert "Already in the roster" in text(response)
    assert enterprise_codes(world.tid) == sorted(CODES + other)


# The class: every number field of every form --------------------------------------------------------

def _forms(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _forms(sub)


def test_every_number_field_of_every_form_is_bounded_and_finite(app):
    """Every IntegerField, DecimalField and FloatField has a NumberRange with both ends (a count
    or a year the database can hold); a decimal or float one is checked finite before it, since
    NumberRange cannot even compare a signalling NaN ("sNaN" is a Decimal)."""
    from flask_wtf import FlaskForm
    from wtforms import DecimalField, FloatField, IntegerField
    from wtforms.fields.core import UnboundField
    from wtforms.validators import NumberRange

    from saas.numbers import finite

    problems, seen = [], 0
    for form in set(_forms(FlaskForm)):
        for name in dir(form):
            field = getattr(form, name, None)
            if not isinstance(field, UnboundField) or not issubclass(field.field_class, (IntegerField, DecimalField,
                                                                                         FloatField)):
                continue
            seen += 1
            where = f"{form.__module__}.{form.__name__}.{name}"
            validators = list(field.kwargs.get("validators") or (field.args[1] if len(field.args) > 1 else []))
            ranges = [v for v in validators if isinstance(v, NumberRange)]
            if not ranges or ranges[0].min is None or ranges[0].max is None:
                problems.append(f"{where}: no NumberRange with a minimum and a maximum")
            elif not issubclass(field.field_class, IntegerField) and \
                    finite not in validators[:validators.index(ranges[0])]:
                problems.append(f"{where}: not checked finite before its NumberRange")
    assert seen >= 10
    assert not problems, problems


@pytest.mark.parametrize("path, field", [("/t/park/training/new", "hours"),
                                         ("/t/park/visits/team/activities/new", "hours")])
def test_a_signalling_nan_in_a_decimal_field_is_a_form_error(world, path, field):
    response = world.admin.post(path, data={field: "sNaN", "title": "培训", "held_on": "2025-03-01"})
    assert response.status_code in (200, 422) and "invalid-feedback" in text(response)


def test_an_id_of_5000_digits_in_a_json_body_is_refused_by_its_field(world, api):
    body = '{"served_on": "2025-01-01", "station_id": 1, "category": "consultation", "enterprise_id": %s}' \
        % ("1" * 5000)
    response = api("POST", "/service-logs", data=body, content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "enterprise_id" in response.get_json()["error"]["fields"]


def test_a_stored_draft_with_an_impossible_year_can_be_opened_and_deleted(app, make, login_as):
    """Drafts stored before years were checked (99999, -5): the page says why it cannot show
    figures and offers to delete the draft, which then goes; nothing answers 500."""
    from saas.tenancy import tenant_scope
    from tenants.applications.models import Application

    tenant = make.tenant(slug="oldyear")
    make.user("old@example.com", tenant=tenant, role="admin")
    with tenant_scope(tenant.id):
        db.session.add_all([Application(scheme="cq-park", year=99999, sections={}),
                            Application(scheme="cq-park", year=-5, sections={})])
        db.session.commit()
        ids = [a.id for a in db.session.query(Application).order_by(Application.id)]
    client = login_as("old@example.com")
    for application_id in ids:
        page = client.get(f"/t/oldyear/applications/{application_id}")
        assert page.status_code == 200 and "删除这份草稿" in page.get_data(as_text=True)
        assert client.get(f"/t/oldyear/applications/{application_id}/dossier.docx").status_code == 302
        assert client.post(f"/t/oldyear/applications/{application_id}/delete").status_code == 302
    with tenant_scope(tenant.id):
        assert db.session.query(Application).count() == 0
