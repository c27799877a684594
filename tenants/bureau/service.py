"""The jurisdiction view: every tenant under a bureau with its figures, in a fixed number of
grouped queries across those tenants (read through the named cross-tenant escape hatch).

The member figures are the metrics service's own definitions (tenants/metrics/service.py:
active_on, in_office (liaison), valid_on (recognition), adopted_by; the training coverage's per_member
and is_trained), grouped by tenant: a base's row says what its own dashboard says for the year
(tests/test_rollup.py compares them figure by figure).

Each base's figures of a year are kept in the tenant cache under that base's data version
(saas/tenant_cache.py cached_per_tenant): a province's view recomputes only the bases written
since, and the tenant list itself is read on every request."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import g

from saas.database import count_where
from saas.extensions import db
from saas.tenancy import Bureau, Tenant, cross_tenant_reads, subtree
from saas.tenant_cache import cached_across, cached_per_tenant
from tenants.applications.models import Application, ApplicationEvent
from tenants.members.models import Enterprise, LiaisonPerson
from tenants.members.queries import active_on
from tenants.metrics.service import adopted_by, in_office
from tenants.recognition.models import Recognition
from tenants.recognition.queries import valid_on
from tenants.schemes.models import ReadinessSnapshot
from tenants.stations.models import Station
from tenants.training.coverage import Period, is_trained, per_member

from .indicators import RECOGNISED_BASES_INDICATOR  # noqa: F401  (CQ-4: at least 15 recognised bases)
from .models import BureauTarget

REASON = "bureau jurisdiction view: figures of the tenants under this bureau"


class Base(NamedTuple):
    """What a bureau view shows of a tenant besides its figures: read as columns (a province's
    hundreds of Tenant objects, settings and all, cost more to load than the page to render).
    A tuple, so the listed bases themselves are the key of the row list cached from them."""

    id: int
    slug: str
    name: str
    bureau_id: int | None
    version: str = ""  # its data_version when read: what its cached figures are filed under


@dataclass
class Row:
    tenant: Base
    active: int = 0
    demonstration: int = 0
    adopted: int = 0
    trained: int = 0
    stations: int = 0
    recognised: bool = False
    application: str = ""
    score: float | None = None
    maximum: float | None = None
    liaison: int = 0  # active members with a liaison person in office on the year's last day
    base_recognised: bool = False  # the base held a recognition on the year's last day (dated)
    reports_on_time: int = 0  # the year's reports received by their due date
    reports_due: int = 0  # the year's reports due so far

    @property
    def trained_ratio(self) -> float | None:
        return self.trained / self.active if self.active else None


def _grouped(select) -> dict:
    return dict(db.session.execute(select).all())


def base_recognised(day: date):
    """SQL EXISTS for the enclosing Tenant row: the base held a recognition on `day` — recognised
    by then, within its term, not revoked by then (a lapse ends the term: valid_until). Dated as
    the units' recognitions are, so a year's count does not move with today's decisions."""
    next_day = datetime.combine(day + timedelta(days=1), time.min)
    revoked = sa.exists().where(ApplicationEvent.tenant_id == Application.tenant_id,
                                ApplicationEvent.application_id == Application.id,
                                ApplicationEvent.to_status == "revoked", ApplicationEvent.from_status != "revoked",
                                ApplicationEvent.created_at < next_day)
    return sa.exists().where(Application.tenant_id == Tenant.id,
                             Application.status.in_(("recognised", "lapsed", "revoked")),
                             Application.recognised_on <= day,
                             sa.or_(Application.valid_until.is_(None), Application.valid_until >= day),
                             sa.not_(revoked))


def jurisdiction(bureau: Bureau | None, year: int, bureau_ids: sa.Select | None = None,
                 today: date | None = None) -> list[Row]:
    """Every active tenant under `bureau` (or directly under one of `bureau_ids`, a select of
    bureau ids) with its figures of `year`. The tenant list is read on every call (with each tenant's data version); a tenant's
    figures come from the tenant cache while its data has not changed, the missing ones from the
    grouped statements below restricted to those tenants: two statements when all are cached,
    eleven when any is missing, whatever the number of tenants."""
    # The bureaus: those named, or the bureau's tree read in the same statement as its tenants.
    ids = sa.select(bureau.tree().c.id) if bureau_ids is None else bureau_ids
    day = today or date.today()  # "due so far" moves with the day: the cache key holds it
    with cross_tenant_reads(REASON):
        # A Core statement on the session's connection (the tenant table is the platform's, and
        # the reader's right to list these tenants was checked by the caller): a province's 400
        # rows through the ORM cost more than the rest of a repeated view.
        t = Tenant.__table__.c
        listed = db.session.connection().execute(
            sa.select(t.id, t.slug, t.name, t.bureau_id, t.data_version, t.status)
            .where(t.bureau_id.in_(ids)).order_by(t.name, t.id)).all()
        found = tuple(Base(*t[:5]) for t in listed if t.status == "active")  # they make the key

        def rows() -> list[Row]:
            figures = cached_per_tenant("bureau.jurisdiction", {b.id: b.version for b in found}, (year,),
                                        lambda tids: _figures(tids, year, day), day=day)
            return [Row(b, **figures[b.id]) for b in found]

        # The whole list too, under the bases it is made of (a tuple: it hashes and compares in
        # microseconds): a repeated province view builds no 400 rows and looks up no 400 entries.
        # Shared between requests: callers read rows, never change them.
        return cached_across("bureau.jurisdiction.rows", (found, year, day), rows)


def _joined(*columns):
    """SQL text of `columns` joined by ":" (NULL as ""), the same on SQLite and PostgreSQL. The
    separators are written into the SQL, not sent as forty bound values on every stamp."""
    empty, colon = sa.literal_column("''", sa.String), sa.literal_column("':'", sa.String)
    parts = [sa.func.coalesce(sa.cast(c, sa.String), empty) for c in columns]
    out = parts[0]
    for part in parts[1:]:
        out = out + colon + part
    return out


def _agg(select, column, order: tuple, dialect: str):
    """A scalar subquery: `column` of every row of `select` joined by ",", in the order of the
    columns `order` (PostgreSQL: its md5, 32 characters instead of a province's 12 KB). Ids,
    statuses, versions and dates hold neither separator, so the text names the rows exactly; an
    order the database did not keep could only make a key miss, never match a different state."""
    if dialect == "postgresql":  # ordered inside the aggregate, by the keys (integers, not the text)
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        rows = select.add_columns(column.label("part"), *[c.label(f"o{n}") for n, c in enumerate(order)]).subquery()
        return sa.select(sa.func.md5(sa.func.string_agg(
            rows.c.part, aggregate_order_by(sa.literal_column("','"), *[rows.c[f"o{n}"] for n in range(len(order))])))
        ).scalar_subquery()
    rows = select.add_columns(column.label("part")).order_by(*order).subquery()
    return sa.select(sa.func.group_concat(rows.c.part, sa.literal_column("','"))).scalar_subquery()


@functools.lru_cache(maxsize=8)
def _stamp_statement(dialect: str, with_year: bool, with_reach: bool):
    """Built once (with bound parameters `root`, `year` and `reviewer`): building it cost more
    than running it."""
    from .models import DistrictIndicator

    under = sa.select(subtree(sa.bindparam("root")).c.id)
    t = Tenant.__table__.c
    parts = [_agg(sa.select().select_from(Tenant.__table__).where(t.bureau_id.in_(under)),
                  _joined(t.id, t.bureau_id, t.status, t.data_version), (t.id,), dialect)]
    if with_year:
        b, i = BureauTarget.__table__.c, DistrictIndicator.__table__.c
        year = sa.bindparam("year")
        parts.append(_agg(sa.select().select_from(BureauTarget.__table__)
                          .where(b.bureau_id.in_(under), b.year == year),
                          _joined(b.bureau_id, b.bases, b.stations, b.demonstration_units, b.adopted_standard,
                                  b.liaison_enterprises), (b.bureau_id,), dialect))
        parts.append(_agg(sa.select().select_from(DistrictIndicator.__table__)
                          .where(i.bureau_id.in_(under), i.year == year),
                          _joined(i.bureau_id, i.code, i.state, i.updated_at), (i.bureau_id, i.code), dialect))
    if with_reach:  # the reviewer's bureau tree (names, levels, places) and whether `root` is in it
        reach = subtree(sa.bindparam("reviewer"), Bureau.name, Bureau.level, Bureau.parent_id, name="reach")
        parts.append(_agg(sa.select().select_from(reach),
                          _joined(reach.c.id, reach.c.name, reach.c.level, reach.c.parent_id), (reach.c.id,), dialect))
        parts.append(sa.case((sa.exists().where(reach.c.id == sa.bindparam("root")), "in"), else_=""))
    return sa.select(*parts)


def stamp(root_id: int, year: int | None = None, reviewer: int | None = None) -> str | None:
    """What a bureau view of the tenants under bureau `root_id` (it and the bureaus below it) is
    made of, in one statement of one row: each tenant's id, bureau, status and data version (any
    write in it, a rename, a move or a suspension gives it a new version); with `year`, also those
    bureaus' targets and CQ-4 items of that year; with `reviewer` (a reviewer's bureau), also that
    bureau's tree — names, levels and places — and None when `root_id` is not in it. Views are
    kept under it: a repeated view reads no tenant list, and a cached view is served on that alone."""
    statement = _stamp_statement(db.engine.dialect.name, year is not None, reviewer is not None)
    params = {"root": root_id, "year": year, "reviewer": reviewer}
    with cross_tenant_reads(REASON):
        row = db.session.connection().execute(statement, {k: v for k, v in params.items() if v is not None}).one()
    if reviewer is not None and row[-1] != "in":
        return None
    return hashlib.blake2b("|".join(p or "" for p in row).encode(), digest_size=16).hexdigest()


def remember_stamp(bureau_id: int, version: str) -> None:
    """The stamp of the tenants under `bureau_id` (stamp()), for the rest of this request
    (tenants/workbench/badge.py reads it instead of a second query)."""
    g.setdefault("jurisdiction_stamps", {})[bureau_id] = version


def _figures(tids: list[int], year: int, today: date) -> dict[int, dict]:
    """{tenant id: its Row's figures} for `tids`, ten grouped statements whatever their number
    (inside the caller's cross_tenant_reads)."""
    period = Period.year(year)
    end = period.end
    flagged = set(db.session.scalars(sa.select(Tenant.id).where(Tenant.id.in_(tids), base_recognised(end))))
    # Liaison and recognition as sets of these tenants' members (as tenant_metrics counts them),
    # not an EXISTS per member: PostgreSQL hashed the whole province's liaison persons for an
    # EXISTS even when one district's bases were asked for (10–13 ms at 400 bases).
    liaisons = sa.select(LiaisonPerson.enterprise_id).where(LiaisonPerson.tenant_id.in_(tids), in_office(end))
    units = sa.select(Recognition.enterprise_id).where(Recognition.tenant_id.in_(tids), valid_on(end))
    members = {t: (int(a), int(li), int(d), int(ad)) for t, a, li, d, ad in db.session.execute(
        sa.select(Enterprise.tenant_id, sa.func.count(Enterprise.id), count_where(Enterprise.id.in_(liaisons)),
                  count_where(Enterprise.id.in_(units)), count_where(adopted_by(end)))
        .where(Enterprise.tenant_id.in_(tids), active_on(end)).group_by(Enterprise.tenant_id))}
    m = per_member(period, tids)  # the coverage page's rows: trained = is_trained, as its figures
    trained = _grouped(sa.select(m.c.tenant_id, count_where(is_trained(m))).group_by(m.c.tenant_id))
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
    from tenants.reports.queries import on_time_counts

    reports = on_time_counts(tids, year, today)
    out = {}
    for tid in tids:
        active, liaison, demonstration, adopted = members.get(tid, (0, 0, 0, 0))
        score, maximum = scores.get(tid, (None, None))
        on_time, due = reports.get(tid, (0, 0))
        out[tid] = {"active": active, "liaison": liaison, "demonstration": demonstration, "adopted": adopted,
                    "trained": int(trained.get(tid, 0)), "stations": stations.get(tid, 0),
                    "recognised": tid in recognised, "application": latest_app.get(tid, ""),
                    "score": score, "maximum": maximum, "base_recognised": tid in flagged,
                    "reports_on_time": on_time, "reports_due": due}
    return out


def totals(rows: list[Row]) -> dict:
    return {"bases": sum(1 for r in rows if r.recognised), "stations": sum(r.stations for r in rows),
            "demonstration_units": sum(r.demonstration for r in rows), "adopted_standard": sum(r.adopted for r in rows),
            "liaison_enterprises": sum(r.liaison for r in rows), "tenants": len(rows)}


def target(bureau: Bureau, year: int) -> BureauTarget | None:
    return db.session.scalar(sa.select(BureauTarget).where(BureauTarget.bureau_id == bureau.id, BureauTarget.year == year))
