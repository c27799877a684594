"""Demo guidance for `flask demo seed` (idempotent: matched by title): one sector guideline the
city bureau published to the members of every base of its jurisdiction (LC-4)."""

from __future__ import annotations

import sqlalchemy as sa

from saas.admin.services import bureau_by_name
from saas.auth.models import User
from saas.extensions import db

from .bureau import publish_across
from .models import BureauPublication

TITLE = "生物医药行业商业秘密保护工作指引（试行）"
BODY = """为指导辖区生物医药企业做好商业秘密保护工作，结合行业特点，制定本指引。
一、明确保护范围：菌种、细胞株、工艺参数、临床试验数据、配方及未公开的注册申报资料。
二、分级管理：按核心、重要、一般三级确定密级，核心研发岗位实行分级授权与访问留痕。
三、人员管理：新入职员工签订保密协议，关键技术人员签订竞业限制协议并依法支付补偿。
四、对外合作：委托研发、CRO/CMO合作及学术交流前签订保密条款，对外提供资料须经审批。
五、应急处置：发现泄密迹象立即固定证据，并向所在基地指导站或市场监管部门报告。"""


def seed(password: str) -> list[str]:
    from saas.demo import CITY

    bureau = bureau_by_name(CITY)
    reviewer = User.by_email("city-reviewer@demo.example")
    if bureau is None or reviewer is None:
        return []
    if db.session.scalar(sa.select(BureauPublication.id).where(BureauPublication.title == TITLE)) is None:
        publish_across(bureau, {"kind": "guideline", "title": TITLE, "body": BODY, "sector": "生物医药"}, [],
                       reviewer.id)
    return []
