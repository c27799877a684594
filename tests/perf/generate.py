"""A realistic tenant of any size, written with bulk inserts: N members (5 % demonstration units,
liaison persons, checklists, surveys), five years of service logs, visits and trainings with
attendance (≈100,000 rows at N = 2,000), a plan and an application."""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa
from stdnum.cn import uscc

from saas.admin.services import save_tenant
from saas.auth.services import create_user, grant
from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.applications.models import Application
from tenants.members.checklists import CORE_ITEMS
from tenants.members.models import ChecklistItem, Enterprise, LiaisonPerson, SurveyYear
from tenants.plans.models import AnnualPlan
from tenants.recognition.models import Recognition
from tenants.schemes.models import SchemeChoice
from tenants.stations.models import CATEGORIES, ServiceLog, Station
from tenants.training.models import Attendance, TrainingEvent
from tenants.visits.models import GuidanceVisit, VisitInstructor

PASSWORD = "bench-password-1"


def code(n: int, tenant_no: int) -> str:
    body = f"91{tenant_no:02d}0000{n:09d}"  # 17 characters, then the check character
    return body + uscc.calc_check_digit(body)


def _insert(model, rows: list[dict], chunk: int = 2000) -> None:
    for i in range(0, len(rows), chunk):
        db.session.execute(sa.insert(model), rows[i:i + chunk])


def build(slug: str, members: int, tenant_no: int = 1, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    tenant = save_tenant(None, slug=slug, name=f"性能测试园区{slug}", kind="park")
    admin = create_user(f"admin@{slug}.example", "管理员", PASSWORD)
    instructor = create_user(f"instructor@{slug}.example", "指导员", PASSWORD)
    grant(admin, tenant, "admin")
    grant(instructor, tenant, "instructor")
    db.session.commit()
    today = date.today()
    years = [today.year - k for k in range(5)]
    with tenant_scope(tenant.id):
        t = tenant.id
        _insert(Enterprise, [{"tenant_id": t, "name": f"企业{n:05d}", "credit_code": code(n, tenant_no),
                              "industry": "制造业", "employees": rnd.randint(10, 800),
                              "status": "cultivating" if n % 7 == 0 and n % 20 else "liaison",
                              "joined_on": date(years[-1], 1, 1) + timedelta(days=n % 365)} for n in range(members)])
        ids = db.session.scalars(sa.select(Enterprise.id).order_by(Enterprise.id)).all()
        # Demonstration units are recognitions a bureau decided (tenants.recognition), not a status.
        _insert(Recognition, [{"tenant_id": t, "kind": "enterprise", "enterprise_id": e, "scheme": "cq-enterprise",
                               "source": "recorded", "certificate_no": f"BENCH-{i:05d}", "issued_by": "市场监督管理局",
                               "recognised_on": date(years[-1], 6, 1)} for i, e in enumerate(ids) if i % 20 == 0])
        _insert(LiaisonPerson, [{"tenant_id": t, "enterprise_id": e, "name": f"联络员{i}", "mobile": "13800000000",
                                 "started_on": date(years[-1], 1, 1)} for i, e in enumerate(ids) if i % 10])
        _insert(ChecklistItem, [{"tenant_id": t, "enterprise_id": e, "code": c,
                                 "state": rnd.choice(("in_place", "in_progress", "not_started"))}
                                for e in ids for c in CORE_ITEMS])
        _insert(SurveyYear, [{"tenant_id": t, "enterprise_id": e, "year": today.year - 1, "employees": 100,
                              "confidentiality_signed": 60, "noncompete_signed": 20} for e in ids])
        station = Station(name="指导站")
        db.session.add(station)
        db.session.flush()
        _insert(ServiceLog, [{"tenant_id": t, "served_on": date(y, 1, 1) + timedelta(days=rnd.randint(0, 360)),
                              "station_id": station.id, "category": (cat := rnd.choice(CATEGORIES)),
                              "enterprise_id": rnd.choice(ids), "summary": "服务", "follow_up": "done",
                              "case_status": "received" if cat == "complaint" else None}
                             for y in years for _ in range(members)])
        visits = [{"tenant_id": t, "enterprise_id": e, "visited_on": date(y, 3 + k * 4, 1 + (e % 27)), "mode": "on_site",
                   "topics": ["rules"], "status": "closed", "created_by_id": instructor.id}
                  for y in years for e in ids for k in range(2) if date(y, 3 + k * 4, 1 + (e % 27)) <= today]
        _insert(GuidanceVisit, visits)
        visit_ids = db.session.scalars(sa.select(GuidanceVisit.id)).all()
        _insert(VisitInstructor, [{"tenant_id": t, "visit_id": v, "user_id": instructor.id} for v in visit_ids])
        _insert(TrainingEvent, [{"tenant_id": t, "title": f"培训{y}-{m}", "kind": rnd.choice(("training", "publicity")),
                                 "organiser": "base", "held_on": date(y, m, 15), "hours": 2}
                                for y in years for m in range(1, 13) if date(y, m, 15) <= today])
        events = db.session.execute(sa.select(TrainingEvent.id, TrainingEvent.held_on)).all()
        _insert(Attendance, [{"tenant_id": t, "event_id": ev, "enterprise_id": e, "headcount": rnd.randint(1, 30)}
                             for ev, _day in events for e in rnd.sample(ids, min(len(ids), max(1, members // 4)))])
        db.session.add_all([SchemeChoice(code="cq-park"),
                            AnnualPlan(year=today.year, training_ratio_target=60, publicity_events_target=4,
                                       demonstration_target=6, rules_ratio_target=70),
                            Application(scheme="cq-park", year=today.year,
                                        sections={s: "内容" for s in ("basic", "needs", "work_done", "cases", "next_steps")})])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # Bulk inserts outrun autovacuum: give the planner the statistics a live database has.
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        rows = sum(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (
            Enterprise, LiaisonPerson, ChecklistItem, SurveyYear, ServiceLog, GuidanceVisit, VisitInstructor,
            TrainingEvent, Attendance))
    return {"slug": slug, "tenant_id": tenant.id, "members": members, "rows": rows, "admin": admin.email}
