"""The same dossier as Word (.docx, python-docx): bureaus often ask for an editable copy."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from flask_babel import gettext as _

from saas import xmltext

FONT = "Noto Sans CJK SC"


def _table(doc, headers: list[str], rows: list[list]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers):
        cell.text = str(text)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = "" if value is None else str(value)
    # Word repeats a header row marked as such on every page.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = tr_pr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    tr_pr.append(header)


def build(d: dict, title: str) -> bytes:
    # A control character stored before the input was cleaned (or frozen in a submitted
    # snapshot) would make python-docx refuse the whole document.
    d, title = xmltext.clean(d), xmltext.strip(title)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    doc.add_heading(d["scheme"]["title"], 0)
    doc.add_heading(title, 1)
    for label, value in ((_("Applicant"), d["tenant"]["name"]), (_("Region"), d["tenant"]["region"]),
                         (_("Supervising bureau"), d["tenant"]["bureau"]), (_("Year"), d["year"]),
                         (_("Prepared"), d["generated_at"])):
        doc.add_paragraph(f"{label}：{value}")
    doc.add_heading(_("Organisation of the base"), 1)
    for o in d.get("organisation", []):
        doc.add_paragraph(f"{o['title']}：{o['text'] or '—'}")
    for number, s in enumerate(d["sections"], start=1):
        doc.add_heading(f"{number}. {s['title']}", 1)
        doc.add_paragraph(s["text"] or "—")
    doc.add_heading(_("Key figures"), 1)
    _table(doc, [_("Figure"), _("Value")], [[m["label"], m["value"]] for m in d["metrics"]])
    doc.add_heading(f"{_('Readiness')}: {d['readiness']['total']:g} / {d['readiness']['maximum']:g}", 1)
    for g in d["readiness"]["groups"]:
        doc.add_paragraph(g["title"])
        _table(doc, [_("Item"), _("Title"), _("Points")], [[i["code"], i["title"], f"{i['points']:g}"] for i in g["items"]])
    doc.add_heading(_("Member enterprises and liaison persons"), 1)
    _table(doc, [_("Enterprise"), _("Unified social credit code"), _("Status"), _("Liaison person"), _("Mobile")],
           [[m["name"], m["credit_code"], m["status"], m["liaison"], m["mobile"]] for m in d["members"]])
    doc.add_heading(_("Guidance stations"), 1)
    _table(doc, [_("Station"), _("Address"), _("Staff"), _("Experienced")],
           [[s["name"], s["address"], s["staff"], s["experienced"]] for s in d["stations"]])
    doc.add_heading(_("Supporting evidence"), 1)
    _table(doc, ["#", _("Item"), _("File"), "SHA-256"],
           [[a["number"], a["item"], a["filename"], a["sha256"]] for a in d["attachments"]])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
