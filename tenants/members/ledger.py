"""The ledger (台账) of checklists, survey figures and vulnerabilities, as one workbook."""

from __future__ import annotations

import io
from datetime import datetime

import sqlalchemy as sa
from openpyxl import Workbook

from saas.extensions import db

from .checklists import ITEMS, ITEM_TITLES, STATE_LABELS
from .models import ChecklistItem, Enterprise, SurveyYear, Vulnerability


def ledger_xlsx(tenant_name: str, exported_at: datetime) -> bytes:
    enterprises = db.session.execute(sa.select(Enterprise.id, Enterprise.name, Enterprise.credit_code)
                                     .where(Enterprise.status != "withdrawn").order_by(Enterprise.name)).all()
    states = {(r.enterprise_id, r.code): r.state for r in db.session.execute(
        sa.select(ChecklistItem.enterprise_id, ChecklistItem.code, ChecklistItem.state))}
    wb = Workbook(write_only=True)
    title = [f"{tenant_name} 商业秘密保护台账", f"导出时间 {exported_at:%Y-%m-%d %H:%M}"]

    ws = wb.create_sheet("检查清单")
    ws.append(title)
    ws.append(["企业名称", "统一社会信用代码", *[str(ITEM_TITLES[i]) for i in ITEMS]])
    for e in enterprises:
        ws.append([e.name, e.credit_code,
                   *[str(STATE_LABELS[states.get((e.id, i), "not_started")]) for i in ITEMS]])

    ws = wb.create_sheet("调查数据")
    ws.append(title)
    ws.append(["企业名称", "统一社会信用代码", "年度", "职工人数", "商业秘密数", "专利数", "保密协议签约人数",
               "保密协议签约率", "竞业限制协议签约人数", "竞业限制协议签约率", "分级管理关键岗位数",
               "近两年被侵权次数", "近两年侵权次数"])
    rows = db.session.execute(sa.select(Enterprise.name, Enterprise.credit_code, SurveyYear)
                              .join(SurveyYear, SurveyYear.enterprise_id == Enterprise.id)
                              .order_by(Enterprise.name, SurveyYear.year)).all()
    for name, code, s in rows:
        rate = lambda n: round(n / s.employees, 4) if s.employees else None  # noqa: E731
        ws.append([name, code, s.year, s.employees, s.secrets_identified, s.patents, s.confidentiality_signed,
                   rate(s.confidentiality_signed), s.noncompete_signed, rate(s.noncompete_signed),
                   s.key_posts_tiered, s.incidents_suffered, s.incidents_caused])

    ws = wb.create_sheet("易受侵害清单")
    ws.append(title)
    ws.append(["企业名称", "事项", "领域", "严重程度", "措施", "状态"])
    severity = {"low": "低", "medium": "中", "high": "高"}
    status = {"open": "未处理", "mitigating": "整改中", "closed": "已关闭"}
    for name, v in db.session.execute(sa.select(Enterprise.name, Vulnerability)
                                      .join(Vulnerability, Vulnerability.enterprise_id == Enterprise.id)
                                      .order_by(Enterprise.name, Vulnerability.id)).all():
        ws.append([name, v.item, v.area, severity[v.severity], v.measure, status[v.status]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
