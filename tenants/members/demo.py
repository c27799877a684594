"""Demo roster for `flask demo seed` (idempotent: enterprises are matched by credit code)."""

from __future__ import annotations

from datetime import date

from stdnum.cn import uscc

from saas.auth.models import User
from saas.auth.services import create_user, grant
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope

from .privacy import erase
from .services import by_credit_code, save_checklist, save_enterprise, save_survey, set_liaison
from .checklists import ITEMS

PARK = [
    # name, industry, employees, status, flags, liaison, position. "demonstration": a liaison
    # enterprise whose recognition tenants/recognition/demo.py records from its certificate.
    ("武汉光谷生物医药研究院有限公司", "医药制造业", 420, "demonstration", ("high_tech", "specialised"), "陈静", "法务部经理"),
    ("武汉华康基因科技股份有限公司", "医药制造业", 860, "demonstration", ("high_tech", "gazelle"), "刘畅", "知识产权主管"),
    ("湖北楚天医疗器械有限公司", "专用设备制造业", 310, "demonstration", ("specialised",), "王磊", "行政总监"),
    ("武汉新元生物制药有限公司", "医药制造业", 1200, "demonstration", ("high_tech", "champion"), "赵琳", "合规部部长"),
    ("武汉瑞丰检测技术有限公司", "专业技术服务业", 150, "demonstration", ("high_tech",), "孙浩", "综合部主任"),
    ("武汉博远药业有限公司", "医药制造业", 520, "cultivating", ("high_tech",), "周敏", "法务专员"),
    ("湖北康宁生物材料有限公司", "化学原料和化学制品制造业", 240, "cultivating", ("specialised",), "吴凯", "办公室主任"),
    ("武汉智诊医学影像有限公司", "软件和信息技术服务业", 95, "liaison", ("gazelle",), "郑雪", "人事经理"),
    ("武汉金桥冷链物流有限公司", "仓储业", 130, "liaison", (), "冯涛", "总经理助理"),
    ("湖北本草堂中药饮片有限公司", "医药制造业", 180, "liaison", ("time_honoured",), "", ""),
    ("武汉联创细胞治疗技术有限公司", "研究和试验发展", 60, "liaison", ("high_tech",), "何丽", "研发助理"),
    ("武汉恒信包装材料有限公司", "橡胶和塑料制品业", 75, "withdrawn", (), "", ""),
]


def _code(n: int) -> str:
    body = f"914201{n:011d}"
    return body + uscc.calc_check_digit(body)


def seed(password: str) -> list[str]:
    tenant = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    lines = []
    with tenant_scope(tenant.id):
        for n, (name, industry, employees, status, flags, liaison, position) in enumerate(PARK, start=1):
            code = _code(n)
            if by_credit_code(code) is not None:
                continue
            data = {"name": name, "credit_code": code, "industry": industry, "employees": employees,
                    "joined_on": date(2023, 3 + n % 9, 1 + n), "adopted_standard": n % 3 == 0,
                    **{f: True for f in flags}}
            person = {"name": liaison, "position": position, "mobile": f"1380713{n:04d}",
                      "email": f"liaison{n}@demo.example", "on": date(2023, 3, 1)} if liaison else None
            if n == 9 and person:
                # A former liaison who asked to be erased (PIPL): the row and its dates stay.
                enterprise = save_enterprise(None, data, {"name": "高远", "position": "行政主管",
                                                          "mobile": "13807139999", "email": "gaoyuan@demo.example",
                                                          "on": date(2023, 3, 1)})
                set_liaison(enterprise, **{**person, "on": date(2024, 7, 1)})
                db.session.flush()
                erase(enterprise.liaisons[-1])
            else:
                enterprise = save_enterprise(None, data, person)
            if status not in ("liaison", "demonstration"):
                data["status"] = status
                data["withdrawal_reason"] = "企业迁出园区"
                data["withdrawn_on"] = date(2025, 6, 30)
                save_enterprise(enterprise, data)
            done = {"demonstration": len(ITEMS), "cultivating": 8}.get(status, n % 5)
            save_checklist(enterprise, {code_: ("in_place" if i < done else "in_progress" if i < done + 2 else "not_started", "")
                                        for i, code_ in enumerate(ITEMS)})
            save_survey(enterprise, 2025, {"employees": employees, "secrets_identified": 3 + n, "patents": 2 * n,
                                           "confidentiality_signed": employees * (60 + n * 3) // 100,
                                           "noncompete_signed": employees // 5, "key_posts_tiered": 4 + n})
        first = by_credit_code(_code(1))
    user = User.by_email("enterprise@demo.example")
    if user is None:
        user = create_user("enterprise@demo.example", "陈静（企业联络员）", password)
    grant(user, tenant, "enterprise", first.id)
    lines.append(f"  {'enterprise@demo.example':32} enterprise@optics-valley ({first.name})")
    return lines
