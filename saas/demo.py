"""`flask demo seed`: a realistic demo, idempotent (every object is looked up before it is made).

Each tenant feature may add its own demo data in `tenants/<feature>/demo.py` with a
`seed(password) -> [login lines]` function; they run in the order of tenants.FEATURES.
"""

from __future__ import annotations

import importlib

from flask import current_app

from .admin.services import bureau_by_name, save_bureau, save_tenant
from .auth.models import User
from .auth.services import create_user, grant
from .extensions import db
from .tenancy import Tenant
from tenants import FEATURES

CITY = "武汉市市场监督管理局"
DISTRICTS = ("东湖新技术开发区市场监督管理局", "江岸区市场监督管理局")
# A Chongqing park too: its standard re-reviews recognised units every two years (CQ-3).
CQ_CITY, CQ_DISTRICT = "重庆市市场监督管理局", "重庆两江新区市场监督管理局"
TENANTS = (
    # slug, name, kind, region, bureau
    ("optics-valley", "光谷生物医药产业园", "park", "湖北省武汉市东湖新技术开发区", DISTRICTS[0]),
    ("wh-software", "武汉市软件行业协会", "association", "湖北省武汉市江岸区", DISTRICTS[1]),
    ("cq-liangjiang", "两江新区数字经济产业园", "park", "重庆市两江新区", CQ_DISTRICT),
)
USERS = (
    # email, name, platform admin, bureau, bureau role, [(tenant slug, role)]
    ("platform@demo.example", "平台管理员", True, None, None, []),
    ("admin@demo.example", "王建国（园区管理员）", False, None, None, [("optics-valley", "admin")]),
    ("staff@demo.example", "李晓梅（指导站工作人员）", False, None, None, [("optics-valley", "staff")]),
    ("assoc-admin@demo.example", "陈志强（协会秘书长）", False, None, None, [("wh-software", "admin")]),
    ("cq-admin@demo.example", "周婷（两江园区管理员）", False, None, None, [("cq-liangjiang", "admin")]),
    ("cq-reviewer@demo.example", "何伟（两江新区局审核员）", False, CQ_DISTRICT, "reviewer", []),
    ("instructor@demo.example", "赵敏（指导员）", False, DISTRICTS[0], "instructor",
     [("optics-valley", "instructor")]),
    ("district-reviewer@demo.example", "刘洋（区局审核员）", False, DISTRICTS[0], "reviewer", []),
    ("city-reviewer@demo.example", "孙磊（市局审核员）", False, CITY, "reviewer", []),
)


def _tenant(slug: str) -> Tenant:
    return db.session.query(Tenant).filter_by(slug=slug).one()


def seed() -> list[str]:
    password = current_app.config["DEMO_PASSWORD"]
    city = bureau_by_name(CITY) or save_bureau(None, CITY, "city", None)
    for name in DISTRICTS:
        bureau_by_name(name) or save_bureau(None, name, "district", city)
    cq_city = bureau_by_name(CQ_CITY) or save_bureau(None, CQ_CITY, "city", None)
    bureau_by_name(CQ_DISTRICT) or save_bureau(None, CQ_DISTRICT, "district", cq_city)
    for slug, name, kind, region, bureau in TENANTS:
        if db.session.query(Tenant).filter_by(slug=slug).first() is None:
            save_tenant(None, slug=slug, name=name, kind=kind, region=region, bureau=bureau_by_name(bureau))
    lines = ["Demo logins (password: %s)" % password]
    for email, name, admin, bureau, bureau_role, roles in USERS:
        user = User.by_email(email)
        if user is None:
            user = create_user(email, name, password, platform_admin=admin,
                               bureau=bureau_by_name(bureau) if bureau else None, bureau_role=bureau_role)
        for slug, role in roles:
            grant(user, _tenant(slug), role)
        what = ", ".join(f"{role}@{slug}" for slug, role in roles) or (
            "platform admin" if admin else f"{bureau_role} of {bureau}")
        lines.append(f"  {email:32} {what}")
    for feature in FEATURES:
        try:
            module = importlib.import_module(f"tenants.{feature}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"tenants.{feature}.demo":
                raise
            continue
        lines.extend(module.seed(password))
    db.session.commit()
    return lines
