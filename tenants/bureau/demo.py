"""Demo roll-up data for `flask demo seed` (idempotent): the Wuhan city bureau's targets for the
year and its districts' quotas (LC-1 / WH-4 style), and the Chongqing pilot district's CQ-4 items
judged so far."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from saas.admin.services import bureau_by_name
from saas.auth.models import User
from saas.extensions import db

from .models import BureauTarget, DistrictIndicator

TARGETS = (
    # bureau, bases, stations, demonstration units, adopted the standard, liaison enterprises
    ("武汉市市场监督管理局", 3, 6, 15, 100, 60),
    ("东湖新技术开发区市场监督管理局", 2, 2, 10, None, 30),  # WH-4: a development zone ≥10 and ≥2
    ("江岸区市场监督管理局", 1, 1, 5, None, 30),
    ("重庆两江新区市场监督管理局", 15, None, None, None, 30),  # CQ-4: at least 15 bases
)
CQ4 = (
    ("cq4.2", "met", "已出台《两江新区商业秘密保护工作指引》，重点企业保密制度覆盖率达 80%。"),
    ("cq4.3", "partly", "与区检察院建立案件线索移送机制；与经信部门的联席会议尚在筹备。"),
    ("cq4.5", "met", "设立 3 个指导站，提供咨询和案件受理；引入 2 家第三方鉴定机构。"),
    ("cq4.7", "partly", "上半年举办专题培训 4 场，覆盖企业 120 家。"),
)


def seed(password: str) -> list[str]:
    year = date.today().year
    for name, bases, stations, demo, adopted, liaison in TARGETS:
        bureau = bureau_by_name(name)
        if bureau is None:
            continue
        if db.session.scalar(sa.select(BureauTarget).where(BureauTarget.bureau_id == bureau.id,
                                                           BureauTarget.year == year)) is None:
            db.session.add(BureauTarget(bureau_id=bureau.id, year=year, bases=bases, stations=stations,
                                        demonstration_units=demo, adopted_standard=adopted,
                                        liaison_enterprises=liaison))
    district = bureau_by_name("重庆两江新区市场监督管理局")
    reviewer = User.by_email("cq-reviewer@demo.example")
    if district is not None:
        have = set(db.session.scalars(sa.select(DistrictIndicator.code).where(
            DistrictIndicator.bureau_id == district.id, DistrictIndicator.year == year)))
        db.session.add_all(DistrictIndicator(bureau_id=district.id, year=year, code=code, state=state, note=note,
                                             updated_by_id=reviewer.id if reviewer else None)
                           for code, state, note in CQ4 if code not in have)
    db.session.flush()
    return []
