"""The jurisdiction view: every tenant under a bureau with its figures, in a fixed number of
grouped queries across those tenants (read through the named cross-tenant escape hatch)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy import Bureau, Tenant, cross_tenant_reads
from tenants.applications.models import Application
from tenants.members.models import Enterprise
from tenants.members.queries import active_on
from tenants.recognition.queries import recognised_enterprise
from tenants.schemes.models import ReadinessSnapshot
from tenants.stations.models import Station
from tenants.training.models import Attendance, TrainingEvent

from .models import BureauTarget

RECOGNISED_BASES_INDICATOR = 15  # CQ-4: a pilot district has at least 15 recognised bases


@dataclass
class Row:
    tenant: Tenant
    active: int = 0
    demonstration: int = 0
    adopted: int = 0
    trained: int = 0
    stations: int = 0
    recognised: bool = False
    application: str = ""
    score: float | None = None
    maximum: float | None = None

    @property
    def trained_ratio(self) -> float | None:
        return self.trained / self.active if self.active else None


def _grouped(select) -> dict:
    return dict(db.session.execute(select).all())


def jurisdiction(bureau: Bureau, year: int) -> list[Row]:
    end, start = date(year, 12, 31), date(year, 1, 1)
    ids = bureau.jurisdiction_ids()
    tenants = db.session.scalars(sa.select(Tenant).where(Tenant.bureau_id.in_(ids), Tenant.status == "active")
                                 .order_by(Tenant.name)).all()
    tids = [t.id for t in tenants]
    rows = {t.id: Row(t) for t in tenants}
    if not tids:
        return []
    with cross_tenant_reads("bureau jurisdiction view: figures of the tenants under this bureau"):
        active = _grouped(sa.select(Enterprise.tenant_id, sa.func.count(Enterprise.id))
                          .where(Enterprise.tenant_id.in_(tids), active_on(end)).group_by(Enterprise.tenant_id))
        demo = _grouped(sa.select(Enterprise.tenant_id, sa.func.count(Enterprise.id))
                        .where(Enterprise.tenant_id.in_(tids), active_on(end), recognised_enterprise(end))
                        .group_by(Enterprise.tenant_id))
        adopted = _grouped(sa.select(Enterprise.tenant_id, sa.func.count(Enterprise.id))
                           .where(Enterprise.tenant_id.in_(tids), active_on(end), Enterprise.adopted_standard.is_(True))
                           .group_by(Enterprise.tenant_id))
        trained = _grouped(sa.select(Enterprise.tenant_id, sa.func.count(sa.distinct(Enterprise.id)))
                           .join(Attendance, Attendance.enterprise_id == Enterprise.id)
                           .join(TrainingEvent, TrainingEvent.id == Attendance.event_id)
                           .where(Enterprise.tenant_id.in_(tids), active_on(end), TrainingEvent.held_on >= start,
                                  TrainingEvent.held_on <= end)
                           .group_by(Enterprise.tenant_id))
        stations = _grouped(sa.select(Station.tenant_id, sa.func.count(Station.id))
                            .where(Station.tenant_id.in_(tids), Station.active.is_(True)).group_by(Station.tenant_id))
        recognised = set(db.session.scalars(sa.select(Application.tenant_id).where(
            Application.tenant_id.in_(tids), Application.status == "recognised")))
        latest_app = {t: s for t, s in db.session.execute(
            sa.select(Application.tenant_id, Application.status).where(Application.tenant_id.in_(tids),
                                                                        Application.year == year))}
        newest = (sa.select(ReadinessSnapshot.tenant_id, sa.func.max(ReadinessSnapshot.day).label("day"))
                  .where(ReadinessSnapshot.tenant_id.in_(tids), ReadinessSnapshot.year == year)
                  .group_by(ReadinessSnapshot.tenant_id).subquery())
        scores = {t: (s, m) for t, s, m in db.session.execute(
            sa.select(ReadinessSnapshot.tenant_id, ReadinessSnapshot.score, ReadinessSnapshot.maximum)
            .join(newest, sa.and_(newest.c.tenant_id == ReadinessSnapshot.tenant_id, newest.c.day == ReadinessSnapshot.day))
            .where(ReadinessSnapshot.year == year))}
    for tid, row in rows.items():
        row.active, row.demonstration, row.adopted = active.get(tid, 0), demo.get(tid, 0), adopted.get(tid, 0)
        row.trained, row.stations, row.recognised = trained.get(tid, 0), stations.get(tid, 0), tid in recognised
        row.application = latest_app.get(tid, "")
        row.score, row.maximum = scores.get(tid, (None, None))
    return list(rows.values())


def totals(rows: list[Row]) -> dict:
    return {"bases": sum(1 for r in rows if r.recognised), "stations": sum(r.stations for r in rows),
            "demonstration_units": sum(r.demonstration for r in rows), "adopted_standard": sum(r.adopted for r in rows),
            "tenants": len(rows)}


def target(bureau: Bureau, year: int) -> BureauTarget | None:
    return db.session.scalar(sa.select(BureauTarget).where(BureauTarget.bureau_id == bureau.id, BureauTarget.year == year))
