"""A realistic tenant of any size, written with bulk inserts (COPY on PostgreSQL, as imports do,
an executemany on SQLite): N members (5 % demonstration units, liaison persons, checklists,
surveys), five years of service logs, visits and trainings with attendance (≈100,000 rows at
N = 2,000), a plan and an application. With `extras`, also what a bureau reads of a base:
readiness snapshots, yearly reports, and a recognised application for every fifth base.
Planner statistics are the caller's: one ANALYZE after all tenants (`analyze()`)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from stdnum.cn import uscc

from saas.admin.services import save_tenant
from saas.auth.services import create_user, grant
from saas.bulk import insert_rows
from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.applications.models import Application
from tenants.kept_rows import rebuild_all
from tenants.members.checklists import CORE_ITEMS
from tenants.members.models import ChecklistItem, Enterprise, LiaisonPerson, SurveyYear
from tenants.plans.models import AnnualPlan
from tenants.recognition.models import Recognition
from tenants.reports.models import PeriodicReport
from tenants.schemes.models import ReadinessSnapshot, SchemeChoice
from tenants.stations.models import CATEGORIES, ServiceLog, Station
from tenants.training.models import Attendance, TrainingEvent
from tenants.visits.models import GuidanceVisit, VisitInstructor

PASSWORD = "bench-password-1"


def code(n: int, tenant_no: int) -> str:
    """A valid credit code, unique per (n, tenant_no) for any tenant below 1,000,000: the tenant's
    number takes the six digits of the region, the member's the nine of the organisation."""
    if not (0 <= tenant_no < 1_000_000 and 0 <= n < 1_000_000_000):
        raise ValueError(f"no bench credit code for member {n} of tenant {tenant_no}")
    body = f"91{tenant_no:06d}{n:09d}"  # 17 characters, then the check character
    return body + uscc.calc_check_digit(body)


def _insert(model, rows: list[dict], chunk: int = 50_000) -> None:
    """Rows of the tenant in scope: by COPY on PostgreSQL (saas.bulk, through its staging table
    because of row-level security), by executemany elsewhere."""
    for i in range(0, len(rows), chunk):
        insert_rows(model.__table__, rows[i:i + chunk])


def analyze() -> None:
    """Bulk inserts outrun autovacuum: give the planner the statistics a live database has, once
    after every tenant is written (saas.planner_statistics, as the worker's nightly job)."""
    from saas.planner_statistics import refresh

    db.session.commit()
    refresh()


def build(slug: str, members: int, tenant_no: int = 1, seed: int = 7, bureau=None,
          extras: bool = False) -> dict:
    rnd = random.Random(seed)
    tenant = save_tenant(None, slug=slug, name=f"性能测试园区{slug}", kind="park", bureau=bureau)
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
        rebuild_all(t)  # COPY bypasses the session: the kept rows, as a commit keeps them
        sections = {s: "内容" for s in ("basic", "needs", "work_done", "cases", "next_steps")}
        db.session.add_all([SchemeChoice(code="cq-park"),
                            AnnualPlan(year=today.year, training_ratio_target=60, publicity_events_target=4,
                                       demonstration_target=6, rules_ratio_target=70),
                            Application(scheme="cq-park", year=today.year, sections=sections)])
        if extras:
            _extras(t, tenant_no, years, today, rnd, sections)
        db.session.commit()
        tables = [Enterprise, LiaisonPerson, ChecklistItem, SurveyYear, ServiceLog, GuidanceVisit, VisitInstructor,
                  TrainingEvent, Attendance] + ([Recognition, ReadinessSnapshot, PeriodicReport] if extras else [])
        # Counted in the tenant scope: the rows of this tenant, whatever else the database holds.
        rows = sum(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in tables)
    return {"slug": slug, "tenant_id": tenant.id, "members": members, "rows": rows, "admin": admin.email}


def _extras(t: int, tenant_no: int, years: list[int], today: date, rnd: random.Random, sections: dict) -> None:
    """What a bureau reads of a base besides its members: a readiness snapshot a month for two
    years, an annual report a year (received, most on time), and every fifth base recognised."""
    _insert(ReadinessSnapshot, [{"tenant_id": t, "scheme": "cq-park", "year": y, "day": date(y, m, 1),
                                 "score": float(s := rnd.randint(40, 100)), "maximum": 100.0, "passed": s >= 60}
                                for y in years[:2] for m in range(1, 13) if date(y, m, 1) <= today])
    _insert(PeriodicReport, [{"tenant_id": t, "kind": "annual", "year": y, "period_start": date(y, 1, 1),
                              "period_end": date(y, 12, 31), "due_on": date(y + 1, 1, 31), "status": "accepted",
                              "version": 1, "sections": {},
                              # Four in five by the due date (31 January), the rest in February.
                              "first_submitted_at": (at := datetime(y + 1, 1 if rnd.random() < .8 else 2, 20, 12)),
                              "submitted_at": at}
                             for y in years[1:]])
    if tenant_no % 5 == 1:  # the first base among them
        db.session.add(Application(scheme="cq-park", year=years[2], status="recognised", version=1, sections=sections,
                                   recognised_on=date(years[2], 9, 1), valid_until=date(years[2] + 3, 8, 31),
                                   certificate_no=f"BENCH-BASE-{tenant_no:06d}", issued_by="市场监督管理局"))
