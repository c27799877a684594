"""The dossier (申报表) as one plain dict, built from live data: the PDF renders it, submission
freezes it. Only JSON values (strings, numbers, lists, dicts) — never ORM objects."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from saas.auth.models import Membership, User
from saas.database import count_where
from saas.extensions import db
from saas.tenancy import Tenant
from tenants.members.forms import STATUS_LABELS
from tenants.members.models import Enterprise, LiaisonPerson
from tenants.members.queries import active_on
from tenants.metrics.labels import fmt, label
from tenants.metrics.service import tenant_metrics
from tenants.plans.services import plan_for, progress
from tenants.recognition.queries import recognised_enterprise
from tenants.schemes.scoring import MET, NEEDS_EVIDENCE, OVERRIDDEN
from tenants.schemes.service import readiness, schemes
from tenants.stations.forms import CATEGORY_LABELS
from tenants.stations.models import CATEGORIES, Station, StationStaff
from tenants.training.coverage import Period

from .models import SECTIONS, Application

def section_title(code: str) -> str:
    return {"basic": _("Basic situation"), "needs": _("Needs and strengths"), "work_done": _("Work done"),
            "cases": _("Typical cases"), "next_steps": _("Next steps")}[code]


def _members(end: date) -> list[dict]:
    """The members as they stood on the period's last day: liaison in office then, and whether
    a recognition as a demonstration unit was valid then (the same definitions as the metrics).
    The dossier goes to the bureau's reviewers, who do not contact liaison persons: mobiles
    masked (personal data, tenants/members/privacy.py)."""
    from tenants.members.privacy import mask_mobile

    in_office = sa.and_(LiaisonPerson.enterprise_id == Enterprise.id, LiaisonPerson.started_on <= end,
                        sa.or_(LiaisonPerson.ended_on.is_(None), LiaisonPerson.ended_on > end))
    rows = db.session.execute(
        sa.select(Enterprise.name, Enterprise.credit_code, Enterprise.status, Enterprise.employees,
                  LiaisonPerson.name, LiaisonPerson.mobile, recognised_enterprise(end))
        .outerjoin(LiaisonPerson, in_office)
        .where(active_on(end)).order_by(Enterprise.name)).all()
    return [{"name": r[0], "credit_code": r[1], "status": str(STATUS_LABELS[r[2]]), "demonstration": bool(r[6]),
             "employees": r[3], "liaison": r[4] or "", "mobile": mask_mobile(r[5])} for r in rows]


def build(application: Application, tenant: Tenant) -> dict:
    period = Period.year(application.year)
    scheme = schemes()[application.scheme]
    metrics = tenant_metrics(period)
    result = readiness(scheme, application.year, metrics)
    members = _members(period.end)
    stations = db.session.execute(
        sa.select(Station.name, Station.address, sa.func.count(StationStaff.id),
                  count_where(StationStaff.experienced.is_(True)))
        .outerjoin(StationStaff, sa.and_(StationStaff.station_id == Station.id, StationStaff.active.is_(True)))
        .where(Station.active.is_(True)).group_by(Station.id).order_by(Station.name)).all()
    instructors = db.session.scalars(sa.select(User.name).join(Membership, Membership.user_id == User.id)
                                     .where(Membership.role == "instructor").order_by(User.name)).all()
    plan = plan_for(application.year)
    attachments, number = [], 0
    for g in result.groups:
        for r in g.items:
            for f in r.evidence:
                number += 1
                attachments.append({"number": number, "item": r.item.code, "filename": f.filename, "sha256": f.sha256})
    return {
        "generated_at": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "tenant": {"name": tenant.name, "kind": tenant.kind, "region": tenant.region,
                   "bureau": tenant.bureau.name if tenant.bureau else ""},
        "organisation": [{"title": title, "text": (tenant.organisation or {}).get(key, "")} for key, title in (
            ("leading_group", _("Leading group")), ("office_address", _("Office address")),
            ("staff", _("Office staff")), ("budget", _("Budget")))],
        "scheme": {"code": scheme.code, "title": scheme.title_zh,
                   "mode": scheme.mode, "max": scheme.max, "pass_mark": scheme.pass_mark},
        "year": application.year,
        "sections": [{"code": c, "title": section_title(c), "text": (application.sections or {}).get(c, "")}
                     for c in SECTIONS],
        "metrics": [{"name": n, "label": label(n), "value": fmt(metrics[n], n)} for n in (
            "active_members", "members_with_liaison", "demonstration_units", "trained_enterprises",
            "trained_enterprise_ratio", "all_staff_trained_members", "publicity_events", "training_hours", "visits",
            "visit_coverage_ratio", "service_logs", "complaints", "stations", "instructors")],
        "readiness": {
            "total": result.total, "maximum": result.maximum, "passed": result.passed,
            "groups": [{"title": g.group.title_zh, "score": g.score, "cap": g.group.cap,
                        "items": [{"code": r.item.code, "title": r.item.title_zh, "points": r.points,
                                   "max": r.item.points, "status": r.status,
                                   "met": r.status in (MET, OVERRIDDEN)} for r in g.items]}
                       for g in result.groups],
            "needs_evidence": [r.item.code for g in result.groups for r in g.items if r.status == NEEDS_EVIDENCE],
        },
        "members": members,
        "demonstration_units": [m["name"] for m in members if m["demonstration"]],
        "stations": [{"name": s[0], "address": s[1], "staff": s[2], "experienced": int(s[3])} for s in stations],
        "instructors": list(instructors),
        "services": [{"category": str(CATEGORY_LABELS[c]), "count": metrics[f"service_logs.{c}"]} for c in CATEGORIES],
        "plan": [{"name": r.name, "target": f"{r.target:g}{r.unit}",
                  "actual": f"{r.actual:g}{r.unit}" if r.actual is not None else "—", "reached": r.reached}
                 for r in progress(plan, metrics)] if plan else [],
        "attachments": attachments,
        "raw": {"demonstration_units": metrics["demonstration_units"], "active_members": metrics["active_members"]},
    }

