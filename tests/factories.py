"""Small factories for tests: bureaus, tenants, users with roles."""

from __future__ import annotations

import itertools
from datetime import date

from stdnum.cn import uscc

from saas.admin.services import save_bureau, save_tenant
from saas.auth.services import create_user, grant
from saas.extensions import db
from saas.tenancy import tenant_scope

_seq = itertools.count(1)


class Factory:
    PASSWORD = "correct-horse-battery"

    def bureau(self, name=None, level="district", parent=None):
        bureau = save_bureau(None, name or f"测试区市场监督管理局{next(_seq)}", level, parent)
        db.session.commit()
        return bureau

    def tenant(self, slug=None, name=None, kind="park", bureau=None, **kw):
        n = next(_seq)
        tenant = save_tenant(None, slug=slug or f"tenant-{n}", name=name or f"测试园区{n}", kind=kind,
                             bureau=bureau, **kw)
        db.session.commit()
        return tenant

    def user(self, email=None, name=None, tenant=None, role=None, password=PASSWORD, **kw):
        user = create_user(email or f"user{next(_seq)}@example.com", name or "测试用户", password, **kw)
        if tenant is not None:
            grant(user, tenant, role or "admin", kw.get("enterprise_id"))
        db.session.commit()
        return user

    def enterprise(self, tenant, name=None, credit_code=None, liaison="联络员", **kw):
        """A member enterprise of `tenant` (with a liaison person unless liaison=None)."""
        from tenants.members.services import save_enterprise

        n = next(_seq)
        # A demonstration unit is a liaison enterprise holding a bureau's recognition: here one
        # recorded from a certificate, valid from `recognised_on` (default: when it joined).
        demonstration = kw.get("status") == "demonstration"
        if demonstration:
            kw.pop("status")
        recognised_on = kw.pop("recognised_on", None)
        issued_by = kw.pop("recognised_by", "测试市场监督管理局")
        certificate_no = kw.pop("certificate_no", f"TEST-{n:05d}")
        # Codes of their own region: never the same as a code a test spells out (region 110000).
        data = {"name": name or f"测试企业{n}", "credit_code": credit_code or credit_code_for(n, region="120000"),
                "employees": kw.pop("employees", 50), "joined_on": kw.pop("joined_on", date(2024, 1, 1)), **kw}
        person = {"name": liaison, "mobile": "13800000000", "email": f"liaison{n}@example.com"} if liaison else None
        with tenant_scope(tenant.id):
            enterprise = save_enterprise(None, data, person)
            if demonstration:
                from tenants.recognition.services import record_existing

                record_existing("enterprise", enterprise.id, "", certificate_no,
                                recognised_on or data["joined_on"] or date(2024, 1, 1), issued_by, None)
            db.session.commit()
            enterprise_id = enterprise.id
        return enterprise_id


def credit_code_for(n: int, region: str = "110000") -> str:
    """A valid unified social credit code (GB 32100-2015) numbered n."""
    body = f"91{region}{n:09d}"
    return body + uscc.calc_check_digit(body)


def _feature_rows(self, enterprise_id: int, instructor_id: int) -> dict:
    """One row of each station/visit table in the current tenant scope; returns their ids by
    URL argument name (for the URL-map tests)."""
    from tenants.stations.models import ServiceLog, Station, StationStaff
    from tenants.visits.models import GuidanceVisit, ProtectionStaff, TeamActivity, VisitInstructor

    station = Station(name="指导站")
    db.session.add(station)
    db.session.flush()
    staff = StationStaff(station_id=station.id, name="站员")
    log = ServiceLog(served_on=date(2025, 3, 1), station_id=station.id, category="consultation",
                     enterprise_id=enterprise_id, summary="咨询")
    visit = GuidanceVisit(enterprise_id=enterprise_id, visited_on=date(2025, 3, 2), topics=["rules"],
                          created_by_id=instructor_id)
    ledger = ProtectionStaff(enterprise_id=enterprise_id, name="专员")
    activity = TeamActivity(kind="training", title="培训", held_on=date(2025, 3, 3))
    db.session.add_all([staff, log, visit, ledger, activity])
    db.session.flush()
    db.session.add(VisitInstructor(visit_id=visit.id, user_id=instructor_id))
    from tenants.training.models import Attendance, TrainingEvent

    # The enterprise's own internal training: every role allowed to edit events may edit this one.
    event = TrainingEvent(title="培训", held_on=date(2025, 3, 4), hours=2, organiser="enterprise",
                          organiser_enterprise_id=enterprise_id,
                          attendance=[Attendance(enterprise_id=enterprise_id, headcount=5)])
    db.session.add(event)
    from tenants.applications.models import Application, ApplicationVersion

    application = Application(scheme="cq-park", year=2025, sections={}, version=1)
    db.session.add(application)
    db.session.flush()
    db.session.add(ApplicationVersion(application_id=application.id, version=1, snapshot={}))
    from saas.auth.models import TenantInvitation, User
    from tenants.recognition.models import Recognition, UnitApplication

    unit_application = UnitApplication(kind="enterprise", enterprise_id=enterprise_id, scheme="cq-enterprise",
                                       year=2025)
    recognition = Recognition(kind="enterprise", enterprise_id=enterprise_id, source="recorded",
                              certificate_no="证书", recognised_on=date(2025, 1, 1))
    invited = User(email=f"invited{next(_seq)}@example.com", name="受邀人")
    db.session.add_all([unit_application, recognition, invited])
    db.session.flush()
    invitation = TenantInvitation(user_id=invited.id, role="staff")
    from tenants.guidance.models import Publication

    publication = Publication(kind="notice", title="通知", body="正文")
    db.session.add_all([invitation, publication])
    from tenants.referrals.models import Referral

    complaint = ServiceLog(served_on=date(2025, 3, 5), station_id=station.id, category="complaint",
                           case_status="referred", enterprise_id=enterprise_id, summary="投诉")
    db.session.add(complaint)
    db.session.flush()
    referral = Referral(service_log_id=complaint.id, station_name="指导站", summary="投诉", request="调查")
    db.session.add(referral)
    from tenants.surveys.models import SurveyAnswer, SurveyRound

    survey_round = SurveyRound(year=2025, title="问卷", open_until=date(2099, 12, 31))
    db.session.add(survey_round)
    db.session.flush()
    survey_answer = SurveyAnswer(round_id=survey_round.id, enterprise_id=enterprise_id)
    db.session.add(survey_answer)
    from tenants.reports.models import PeriodicReport, ReportVersion

    report = PeriodicReport(kind="cq_half_year", year=2025, period_start=date(2025, 1, 1),
                            period_end=date(2025, 6, 15), due_on=date(2025, 6, 15), status="submitted",
                            version=1, sections={"progress": "进展"}, snapshot={})
    db.session.add(report)
    db.session.flush()
    db.session.add(ReportVersion(report_id=report.id, version=1, snapshot={}))
    db.session.commit()
    return {"unit_application_id": unit_application.id, "recognition_id": recognition.id,
            "invitation_id": invitation.id, "application_id": application.id, "version": 1, "event_id": event.id, "station_id": station.id, "staff_id": staff.id, "ledger_id": ledger.id, "log_id": log.id,
            "visit_id": visit.id, "activity_id": activity.id, "publication_id": publication.id,
            "referral_id": referral.id, "survey_round_id": survey_round.id, "survey_answer_id": survey_answer.id,
            "report_id": report.id, "person_id": _liaison_id(enterprise_id)}


def _liaison_id(enterprise_id: int) -> int:
    """A liaison person of the enterprise (one made with it, else a new one): its id."""
    import sqlalchemy as sa

    from tenants.members.models import LiaisonPerson

    person_id = db.session.scalar(sa.select(LiaisonPerson.id).where(LiaisonPerson.enterprise_id == enterprise_id))
    if person_id is None:
        person = LiaisonPerson(enterprise_id=enterprise_id, name="联络员", started_on=date(2025, 1, 1))
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    return person_id


Factory.feature_rows = _feature_rows
