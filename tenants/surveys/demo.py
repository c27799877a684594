"""Demo questionnaire rounds for `flask demo seed` (idempotent: matched by title).

Like Liaocheng's yearly questionnaire (LC-2): the park asks its members for the TJ-3 figures of
the year; most have answered, the demo enterprise user's own enterprise has not yet (its home
page shows the round), two others are still to answer."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope
from tenants.members.models import Enterprise

from . import services
from .models import SurveyAnswer, SurveyRound


def seed(password: str) -> list[str]:
    tenant = db.session.query(Tenant).filter_by(slug="optics-valley").one()
    year = date.today().year
    title = f"{year}年度会员企业商业秘密保护基线调查问卷"
    staff = User.by_email("staff@demo.example")
    with tenant_scope(tenant.id):
        if db.session.scalar(sa.select(SurveyRound.id).where(SurveyRound.title == title)) is not None:
            return []
        row = services.send({"year": year, "title": title, "open_until": date.today() + timedelta(days=21),
                             "note": "请各会员企业据实填报本年度商业秘密保护基本情况（商业秘密数量、专利数量、"
                                     "保密协议及竞业限制协议签订人数、重点岗位分级管理、近两年侵权情况），"
                                     "提交后将直接作为企业年度调查数据，无需另行报送纸质材料。"},
                            staff.id if staff else None)
        db.session.flush()
        answers = db.session.execute(
            sa.select(SurveyAnswer, Enterprise).join(Enterprise, Enterprise.id == SurveyAnswer.enterprise_id)
            .where(SurveyAnswer.round_id == row.id).order_by(Enterprise.id)).all()
        for n, (answer, enterprise) in enumerate(answers):
            if n == 0 or n % 4 == 3:  # the demo enterprise's own, and a few more, still to answer
                continue
            employees = enterprise.employees + 10 * (n % 3)
            counts = {"employees": employees, "secrets_identified": 5 + n, "patents": 3 * n + 1,
                      "confidentiality_signed": employees * (75 + n * 2) // 100,
                      "noncompete_signed": employees // 4, "key_posts_tiered": 6 + n,
                      "incidents_suffered": 1 if n == 2 else 0, "incidents_caused": 0}
            if n % 4 == 1:
                services.save_draft(answer, enterprise, counts)
            else:
                services.submit(answer, enterprise, counts, None)
        db.session.flush()
    return []
