"""A report as Word (.docx, python-docx), the way the application's dossier is made
(tenants.applications.docx_export): bureaus often ask for an editable copy."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from flask_babel import gettext as _

from saas import xmltext
from tenants.applications.docx_export import FONT, _table


def build(d: dict, draft: bool = False) -> bytes:
    d = xmltext.clean(d)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    doc.add_heading(f"{d['tenant']['name']} {d['year']} {d['title']}", 0)
    if draft:
        doc.add_paragraph(_("Draft, not submitted: the figures are today's."))
    for label, value in ((_("Base"), d["tenant"]["name"]), (_("Supervising bureau"), d["tenant"]["bureau"]),
                         (_("Period"), f"{d['period']['start']} – {d['period']['end']}"),
                         (_("Due"), d["due_on"] or _("No due date")), (_("Source"), d["source"]),
                         (_("Prepared"), d.get("submitted_at") or d["generated_at"])):
        doc.add_paragraph(f"{label}：{value}")
    for number, s in enumerate(d["sections"], start=1):
        doc.add_heading(f"{number}. {s['title']}", 1)
        doc.add_paragraph(s["text"] or "—")
    doc.add_heading(_("Figures of the period"), 1)
    for group in d["figures"]:
        doc.add_paragraph(group["title"])
        _table(doc, [_("Figure"), _("Value")], [[r["label"], r["display"]] for r in group["rows"]])
    if d["plan"]:
        doc.add_heading(_("Plan targets and progress"), 1)
        _table(doc, [_("Target"), _("Target value"), _("Actual"), _("Reached")],
               [[p["name"], p["target"], p["actual"], _("yes") if p["reached"] else _("no")] for p in d["plan"]])
    doc.add_heading(_("Notable cases"), 1)
    if d["cases"]["services"]:
        _table(doc, [_("Date"), _("Category"), _("Enterprise"), _("Summary"), _("Outcome")],
               [[c["day"], c["category"], c["who"], c["summary"], c["outcome"]] for c in d["cases"]["services"]])
    if d["cases"]["recognitions"]:
        doc.add_paragraph(_("Demonstration units recognised in the period"))
        _table(doc, [_("Date"), _("Unit"), _("Certificate number"), _("Issued by")],
               [[c["day"], c["unit"], c["certificate_no"], c["issued_by"]] for c in d["cases"]["recognitions"]])
    if not d["cases"]["services"] and not d["cases"]["recognitions"]:
        doc.add_paragraph(_("No complaint, rights-protection case or recognition in the period."))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
