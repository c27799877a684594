"""The ledger (台账) of checklists, survey figures and vulnerabilities, as one workbook."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from saas import xlsx
from saas.extensions import db

from .checklists import ITEMS, ITEM_TITLES, STATE_LABELS
from .forms import SEVERITY_LABELS, VULNERABILITY_STATUS_LABELS
from .models import ChecklistItem, Enterprise, SurveyYear, Vulnerability


def ledger_xlsx(tenant_name: str, exported_at: datetime) -> bytes:
    enterprises = db.session.execute(sa.select(Enterprise.id, Enterprise.name, Enterprise.credit_code)
                                     .where(Enterprise.status != "withdrawn").order_by(Enterprise.name)).all()
    states = {(r.enterprise_id, r.code): r.state for r in db.session.execute(
        sa.select(ChecklistItem.enterprise_id, ChecklistItem.code, ChecklistItem.state))}
    book = xlsx.Book()
    title = [_("%(tenant)s — trade secret protection ledger", tenant=tenant_name),
             _("Exported %(time)s", time=f"{exported_at:%Y-%m-%d %H:%M}")]

    ws = book.sheet(_("Checklists"))
    xlsx.append(ws, title)
    xlsx.append(ws, [_("Enterprise name"), _("Unified social credit code"), *[str(ITEM_TITLES[i]) for i in ITEMS]])
    for e in enterprises:
        xlsx.append(ws, [e.name, e.credit_code,
                   *[str(STATE_LABELS[states.get((e.id, i), "not_started")]) for i in ITEMS]])

    ws = book.sheet(_("Survey figures"))
    xlsx.append(ws, title)
    xlsx.append(ws, [_("Enterprise name"), _("Unified social credit code"), _("Year"), _("Employees"),
               _("Trade secrets identified"), _("Patents"), _("Employees with a confidentiality agreement"),
               _("Confidentiality agreement signing rate"), _("Employees with a non-compete agreement"),
               _("Non-compete signing rate"), _("Key posts under tiered management"),
               _("Infringements suffered (last 2 years)"), _("Infringements caused (last 2 years)")])
    # Employees: the headcount the rates are computed from (the profile's when the year has none).
    rows = db.session.scalars(sa.select(SurveyYear).join(SurveyYear.enterprise)
                              .options(contains_eager(SurveyYear.enterprise))
                              .where(Enterprise.status != "withdrawn")
                              .order_by(Enterprise.name, SurveyYear.year)).all()
    for s in rows:
        rate = lambda n: None if s.rate(n) is None else round(s.rate(n), 4)  # noqa: E731
        xlsx.append(ws, [s.enterprise.name, s.enterprise.credit_code, s.year, s.headcount, s.secrets_identified,
                   s.patents, s.confidentiality_signed, rate(s.confidentiality_signed), s.noncompete_signed,
                   rate(s.noncompete_signed), s.key_posts_tiered, s.incidents_suffered, s.incidents_caused])

    ws = book.sheet(_("Vulnerability list"))
    xlsx.append(ws, title)
    xlsx.append(ws, [_("Enterprise name"), _("Item"), _("Area"), _("Severity"), _("Measure"), _("Status")])
    for name, v in db.session.execute(sa.select(Enterprise.name, Vulnerability)
                                      .join(Vulnerability, Vulnerability.enterprise_id == Enterprise.id)
                                      .where(Enterprise.status != "withdrawn")
                                      .order_by(Enterprise.name, Vulnerability.id)).all():
        xlsx.append(ws, [name, v.item, v.area, str(SEVERITY_LABELS[v.severity]), v.measure,
                   str(VULNERABILITY_STATUS_LABELS[v.status])])
    return book.to_bytes()
