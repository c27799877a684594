"""Demo recognitions for `flask demo seed` (idempotent: looked up by certificate number).

The optics-valley park's five demonstration units were recognised by the Wuhan bureau before
the base used the platform: recorded from their certificates. One cultivation target has an
application waiting for the park's pre-review. In the Chongqing park one unit's two-year term
ends within a month, so its re-review is due.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from stdnum.cn import uscc

from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.members.demo import PARK, _code
from tenants.members.services import by_credit_code, save_checklist, save_enterprise
from tenants.members.checklists import ITEMS

from . import services
from .models import Recognition, UnitApplication

CQ_PARK = [
    # name, industry, employees, liaison
    ("重庆两江云计算科技有限公司", "软件和信息技术服务业", 380, "邓磊"),
    ("重庆渝新智能装备有限公司", "通用设备制造业", 640, "谭静"),
    ("重庆嘉陵数据服务有限公司", "互联网和相关服务", 120, "罗佳"),
]


def _cq_code(n: int) -> str:
    body = f"915000{n:011d}"
    return body + uscc.calc_check_digit(body)


def _recorded(enterprise_id: int, scheme: str, certificate: str, on: date, body: str) -> None:
    if db.session.scalar(sa.select(Recognition.id).where(Recognition.certificate_no == certificate)) is None:
        services.record_existing("enterprise", enterprise_id, scheme, certificate, on, body, None,
                                 "据认定证书录入（平台使用前认定）")


def seed(password: str) -> list[str]:
    park = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    with tenant_scope(park.id):
        for n, (_name, _industry, _employees, status, *_rest) in enumerate(PARK, start=1):
            enterprise = by_credit_code(_code(n))
            if status == "demonstration" and enterprise is not None:
                _recorded(enterprise.id, "wh-enterprise", f"WHSM-2024-{n:03d}", date(2024, 12, 18), "武汉市市场监督管理局")
        candidate = by_credit_code(_code(6))  # a cultivation target applying this year
        if candidate is not None and db.session.scalar(
                sa.select(UnitApplication.id).where(UnitApplication.enterprise_id == candidate.id)) is None:
            application = services.start("enterprise", candidate.id, "wh-enterprise", date.today().year, None)
            services.submit(application)
    cq = db.session.query(Tenant).filter_by(slug="cq-liangjiang").one()
    today = date.today()
    with tenant_scope(cq.id):
        for n, (name, industry, employees, liaison) in enumerate(CQ_PARK, start=1):
            enterprise = by_credit_code(_cq_code(n))
            if enterprise is None:
                enterprise = save_enterprise(None, {"name": name, "credit_code": _cq_code(n), "industry": industry,
                                                    "employees": employees, "joined_on": date(2023, 4, n)},
                                             {"name": liaison, "mobile": f"1399603{n:04d}", "on": date(2023, 4, n)})
                save_checklist(enterprise, {code: ("in_place", "") for code in ITEMS})
            # The first unit's two-year term ends in four weeks: its re-review is due.
            on = (today - timedelta(days=2 * 365 - 28)) if n == 1 else date(2025, 11, 20)
            if n <= 2:
                _recorded(enterprise.id, "cq-enterprise", f"渝市监商秘示范〔{on.year}〕{n:02d}号", on, "重庆市市场监督管理局")
    return []
