"""Demonstration units recognised, not declared (issue 19): an enterprise applies against its
scheme, the park pre-reviews, the bureau recognises with a certificate; a station applies
against wh-station scored on its own served enterprises; validity, revocation and renewal are
dated, so a past period's count never changes; recognitions made before the platform are
recorded as such."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.members.models import ChecklistItem, Enterprise
from tenants.metrics.service import station_metrics, tenant_metrics
from tenants.recognition import services
from tenants.recognition.models import Recognition, RecognitionEvent, UnitApplication
from tenants.stations.models import ServiceLog, Station, StationStaff
from tenants.training.coverage import Period
from tenants.training.models import Attendance, TrainingEvent

from .conftest import login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TODAY = date.today()
Y = TODAY.year


@pytest.fixture
def base(make, login_as):
    """A park under a district bureau (English pages), its admin, a reviewer of the bureau, and
    a member enterprise with its own enterprise user."""
    district = make.bureau("东湖区市场监督管理局", level="district")
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en", bureau=district)
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    make.user("reviewer@example.com", name="审核员", bureau=district, bureau_role="reviewer")
    eid = make.enterprise(tenant, name="光谷精密制造有限公司", employees=120, joined_on=date(Y - 3, 1, 1))
    grant(make.user("ent@example.com", name="企业用户"), tenant, "enterprise", eid)
    db.session.commit()
    return SimpleNamespace(tenant=tenant, id=tenant.id, eid=eid, district=district,
                           admin=login_as("admin@example.com"), reviewer=login_as("reviewer@example.com"),
                           enterprise=login_as("ent@example.com"), url="/t/park/units")


@contextmanager
def reading(tenant_id):
    db.session.rollback()
    with tenant_scope(tenant_id):
        yield db.session


def _app_id(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(re.search(r"/units/applications/(\d+)", response.headers["Location"]).group(1))


def _start(client, unit, scheme="cq-enterprise", year=Y):
    return _app_id(client.post("/t/park/units/apply", data={"unit": unit, "scheme": scheme, "year": year}))


def test_enterprise_applies_park_recommends_bureau_recognises(base):
    # The enterprise user starts its own application; a second click opens the same one.
    app_id = _start(base.enterprise, f"enterprise:{base.eid}")
    assert _start(base.enterprise, f"enterprise:{base.eid}") == app_id
    page = base.enterprise.get(f"/t/park/units/applications/{app_id}").get_data(as_text=True)
    assert "Bonus" in page and "computed from the records" in page
    # A bonus item is declared with evidence and scores (CQ-1 bonus items can add points).
    base.enterprise.post(f"/t/park/units/applications/{app_id}", data={"claim-b1": "y", "note-b1": "与区局建立联络机制"})
    base.enterprise.post(f"/t/park/units/applications/{app_id}/evidence",
                         data={"item": "b1", "file": (io.BytesIO(PDF), "机制.pdf")})
    with reading(base.id):
        application = db.session.get(UnitApplication, app_id)
        result = services.assess(application)
        b1 = next(r for g in result.groups for r in g.items if r.item.code == "b1")
        assert (b1.status, b1.points) == ("met", 5)
    assert base.enterprise.post(f"/t/park/units/applications/{app_id}/submit").status_code == 302
    # Submitted: the enterprise can no longer edit; the park's pre-review needs an opinion to return.
    assert base.enterprise.post(f"/t/park/units/applications/{app_id}", data={"claim-b2": "y"}).status_code == 403
    base.admin.post(f"/t/park/units/applications/{app_id}/prereview", data={"action": "return", "note": ""})
    with reading(base.id):
        assert db.session.get(UnitApplication, app_id).status == "submitted"
    base.admin.post(f"/t/park/units/applications/{app_id}/prereview",
                    data={"action": "recommend", "note": "材料齐全", "comment-5": "指导记录完整"})
    with reading(base.id):
        application = db.session.get(UnitApplication, app_id)
        assert application.status == "recommended" and application.park_comments == {"5": "指导记录完整"}
        assert application.snapshot["scheme"] == "cq-enterprise"
    # Park staff may not decide; the bureau reviewer recognises with certificate, date and body.
    assert base.admin.post(f"/t/park/units/applications/{app_id}/decide", data={"action": "recognise"}).status_code == 403
    missing = base.reviewer.post(f"/t/park/units/applications/{app_id}/decide",
                                 data={"action": "recognise", "issued_by": "东湖区市场监督管理局",
                                       "recognised_on": TODAY.isoformat()}, follow_redirects=True)
    assert "Enter the certificate number" in missing.get_data(as_text=True)
    base.reviewer.post(f"/t/park/units/applications/{app_id}/decide",
                       data={"action": "recognise", "certificate_no": "DH-2026-001", "issued_by": "东湖区市场监督管理局",
                             "recognised_on": TODAY.isoformat()})
    with reading(base.id):
        recognition = db.session.scalar(sa.select(Recognition))
        assert (recognition.enterprise_id, recognition.certificate_no, recognition.source) == \
            (base.eid, "DH-2026-001", "platform")
        # CQ: re-reviewed every two years.
        assert recognition.valid_until == TODAY.replace(year=Y + 2) - timedelta(days=1)
        assert tenant_metrics(Period.year(Y))["demonstration_units"] == 1
    assert "DH-2026-001" in base.admin.get("/t/park/units/").get_data(as_text=True)


def test_refusal_needs_a_reason_and_counts_nothing(base):
    app_id = _start(base.admin, f"enterprise:{base.eid}", scheme="wh-enterprise")
    base.admin.post(f"/t/park/units/applications/{app_id}/submit")
    base.admin.post(f"/t/park/units/applications/{app_id}/prereview", data={"action": "recommend"})
    base.reviewer.post(f"/t/park/units/applications/{app_id}/decide", data={"action": "refuse", "note": ""})
    with reading(base.id):
        assert db.session.get(UnitApplication, app_id).status == "recommended"
    base.reviewer.post(f"/t/park/units/applications/{app_id}/decide", data={"action": "refuse", "note": "近两年有侵权记录"})
    with reading(base.id):
        assert db.session.get(UnitApplication, app_id).status == "refused"
        assert db.session.scalar(sa.select(sa.func.count(Recognition.id))) == 0
        assert tenant_metrics(Period.year(Y))["demonstration_units"] == 0


def test_two_reviewers_deciding_at_once_recognise_once(app, base, make, login_as):
    make.user("reviewer2@example.com", name="审核员二", bureau=base.district, bureau_role="reviewer")
    second = login_as("reviewer2@example.com")
    app_id = _start(base.admin, f"enterprise:{base.eid}")
    base.admin.post(f"/t/park/units/applications/{app_id}/submit")
    base.admin.post(f"/t/park/units/applications/{app_id}/prereview", data={"action": "recommend"})
    data = {"action": "recognise", "certificate_no": "X-1", "issued_by": "区局", "recognised_on": TODAY.isoformat()}
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda c: c.post(f"/t/park/units/applications/{app_id}/decide", data=data),
                      [base.reviewer, second]))
    with reading(base.id):
        assert db.session.scalar(sa.select(sa.func.count(Recognition.id))) == 1


def test_enterprise_users_see_only_their_own_unit(base, make):
    other = make.enterprise(base.tenant, name="另一家企业")
    theirs = _start(base.admin, f"enterprise:{other}")
    assert base.enterprise.get(f"/t/park/units/applications/{theirs}").status_code == 404
    assert base.enterprise.post("/t/park/units/apply",
                                data={"unit": f"enterprise:{other}", "scheme": "cq-enterprise", "year": Y}).status_code == 404
    assert "另一家企业" not in base.enterprise.get("/t/park/units/").get_data(as_text=True)


def test_past_figures_do_not_move_with_todays_recognitions_and_withdrawals(base, make):
    """Last year's count is the units recognised and valid on last year's last day."""
    last = Period.year(Y - 1)
    with reading(base.id):
        early = services.record_existing("enterprise", base.eid, "cq-enterprise", "OLD-1", date(Y - 1, 3, 1),
                                         "东湖区市场监督管理局", None)
        db.session.commit()
    second = make.enterprise(base.tenant, name="新认定企业", joined_on=date(Y - 2, 1, 1))
    leaving = make.enterprise(base.tenant, name="退出企业", joined_on=date(Y - 2, 1, 1))
    with reading(base.id):
        before = tenant_metrics(last)
        assert (before["demonstration_units"], before["active_members"]) == (1, 3)
        # Today: another unit is recognised, the first is revoked, a member withdraws.
        services.record_existing("enterprise", second, "cq-enterprise", "NEW-1", TODAY, "区局", None)
        services.revoke(db.session.get(Recognition, early.id), TODAY, "protection_gaps", "现场核查发现明显漏洞", None)
        from tenants.members.services import change_status

        change_status(db.session.get(Enterprise, leaving), "withdrawn", TODAY, "不再参加")
        db.session.commit()
        after = tenant_metrics(last)
        assert after["demonstration_units"] == before["demonstration_units"] == 1
        assert after["active_members"] == before["active_members"]
        # This year counts today's facts: the new unit, not the revoked one.
        assert tenant_metrics(Period.year(Y))["demonstration_units"] == 1


def test_a_recognition_lapses_at_the_end_of_its_term_and_renewal_is_a_new_period(base):
    with reading(base.id):
        old = services.record_existing("enterprise", base.eid, "xc-point", "XC-1", date(Y - 2, 6, 1), "西城区局", None)
        db.session.commit()
        assert old.valid_until == date(Y - 1, 5, 31)  # XC: evaluated every year
        assert tenant_metrics(Period.year(Y - 2))["demonstration_units"] == 1
        assert tenant_metrics(Period.year(Y - 1))["demonstration_units"] == 0  # lapsed on 31 May
        due = db.session.scalars(services.due(date(Y - 1, 5, 1))).all()
        assert [r.id for r in due] == [old.id]
    # The reviewer renews it after the evaluation: a new period, the old one keeps its dates.
    page = base.reviewer.get(f"/t/park/units/recognitions/{old.id}").get_data(as_text=True)
    assert "Recorded before the platform" in page and "Lapsed" in page
    response = base.reviewer.post(f"/t/park/units/recognitions/{old.id}/renew", data={"on": TODAY.isoformat()})
    assert response.status_code == 302
    with reading(base.id):
        rows = db.session.scalars(sa.select(Recognition).order_by(Recognition.id)).all()
        assert len(rows) == 2 and rows[0].valid_until == date(Y - 1, 5, 31) and rows[1].recognised_on == TODAY
        assert tenant_metrics(Period.year(Y - 1))["demonstration_units"] == 0
        assert tenant_metrics(Period.year(Y))["demonstration_units"] == 1
        kinds = db.session.scalars(sa.select(RecognitionEvent.kind).order_by(RecognitionEvent.id)).all()
        assert kinds == ["recorded", "renewed", "recognised"]


def test_revocation_needs_grounds_and_facts(base):
    with reading(base.id):
        rec = services.record_existing("enterprise", base.eid, "cq-enterprise", "R-1", date(Y, 1, 2), "区局", None)
        db.session.commit()
    assert base.admin.post(f"/t/park/units/recognitions/{rec.id}/revoke", data={}).status_code == 403
    base.reviewer.post(f"/t/park/units/recognitions/{rec.id}/revoke",
                       data={"on": TODAY.isoformat(), "grounds": "false_material", "note": ""})
    with reading(base.id):
        assert db.session.get(Recognition, rec.id).ended_on is None
    base.reviewer.post(f"/t/park/units/recognitions/{rec.id}/revoke",
                       data={"on": TODAY.isoformat(), "grounds": "false_material", "note": "申报材料虚假"})
    with reading(base.id):
        assert (db.session.get(Recognition, rec.id).ended_on, db.session.get(Recognition, rec.id).end_grounds) == \
            (TODAY, "false_material")


def test_staff_record_a_recognition_from_before_the_platform(base):
    response = base.admin.post("/t/park/units/record", data={
        "unit": f"enterprise:{base.eid}", "scheme": "", "certificate_no": "HB-2021-07", "issued_by": "武汉市市场监督管理局",
        "recognised_on": "2021-09-30"})
    assert response.status_code == 302
    with reading(base.id):
        rec = db.session.scalar(sa.select(Recognition))
        assert (rec.source, rec.valid_until, rec.issued_by) == ("recorded", None, "武汉市市场监督管理局")
    # A date in the future is refused, naming the field.
    future = base.admin.post("/t/park/units/record", data={
        "unit": f"enterprise:{base.eid}", "certificate_no": "X", "issued_by": "Y",
        "recognised_on": (TODAY + timedelta(days=3)).isoformat()})
    assert future.status_code == 200 and "not in the future" in future.get_data(as_text=True)


def test_a_station_is_scored_on_its_own_served_enterprises(base, make):
    """WH-2 per station: trains more than 50 % of the enterprises *it* serves; an enterprise's
    own internal training does not count."""
    served = [make.enterprise(base.tenant, name=f"服务企业{i}", joined_on=date(Y - 1, 1, 1)) for i in range(4)]
    elsewhere = [make.enterprise(base.tenant, name=f"他站企业{i}", joined_on=date(Y - 1, 1, 1)) for i in range(6)]
    with reading(base.id):
        ours, theirs = Station(name="一号站"), Station(name="二号站")
        db.session.add_all([ours, theirs])
        db.session.flush()
        db.session.add_all([StationStaff(station_id=ours.id, name=f"站员{i}", experienced=True) for i in range(2)])
        for eid in served:
            db.session.add(ServiceLog(served_on=date(Y, 2, 1), station_id=ours.id, category="consultation",
                                      enterprise_id=eid, summary="咨询"))
        for eid in elsewhere:
            db.session.add(ServiceLog(served_on=date(Y, 2, 1), station_id=theirs.id, category="consultation",
                                      enterprise_id=eid, summary="咨询"))
        # Two served enterprises trained by the base, one only in its own internal training.
        db.session.add(TrainingEvent(title="基地培训", held_on=date(Y, 3, 1), hours=2, organiser="base",
                                     attendance=[Attendance(enterprise_id=served[0], headcount=3),
                                                 Attendance(enterprise_id=served[1], headcount=2)]))
        db.session.add(TrainingEvent(title="内训", held_on=date(Y, 3, 2), hours=1, organiser="enterprise",
                                     organiser_enterprise_id=served[2],
                                     attendance=[Attendance(enterprise_id=served[2], headcount=9)]))
        db.session.commit()
        figures = station_metrics(ours.id, Y)
        assert (figures["served_enterprises"], figures["trained_enterprises"], figures["max_experienced_staff"]) == (4, 2, 2)
        assert figures["trained_enterprise_ratio"] == 0.5  # not "more than 50 %"
        ours_id = ours.id
    app_id = _start(base.admin, f"station:{ours_id}", scheme="wh-station")
    page = base.admin.get(f"/t/park/units/applications/{app_id}").get_data(as_text=True)
    assert "Station" in page


def test_the_count_links_to_the_units_of_that_year(base):
    with reading(base.id):
        services.record_existing("enterprise", base.eid, "", "L-1", date(Y - 1, 5, 1), "区局", None)
        db.session.commit()
    page = base.admin.get(f"/t/park/units/?year={Y - 1}").get_data(as_text=True)
    assert "光谷精密制造有限公司" in page and "L-1" in page
    assert "L-1" not in base.admin.get(f"/t/park/units/?year={Y - 2}").get_data(as_text=True)


def test_thirty_simultaneous_starts_make_one_application(base):
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda _i: base.enterprise.post("/t/park/units/apply", data={
            "unit": f"enterprise:{base.eid}", "scheme": "cq-enterprise", "year": Y}).status_code, range(30)))
    assert set(statuses) == {302}
    with reading(base.id):
        assert db.session.scalar(sa.select(sa.func.count(UnitApplication.id))) == 1
