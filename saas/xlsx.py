"""Writing spreadsheets people will open in Excel, and the only place that writes their cells
(tests/test_hardening_sheets.py keeps it so): text that looks like a formula stays text, and
characters XML cannot carry are dropped, so no stored value can break an export.

    book = xlsx.Book()
    sheet = book.sheet(_("Visits"))
    sheet.append([_("Date"), _("Enterprise")], bold=True)
    for v in visits:
        sheet.append([v.visited_on, v.enterprise.name])
    return book.to_bytes()      # or book.save(path)
"""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from . import xmltext

FORMULA_START = ("=", "+", "-", "@")
# CSV: Excel also starts a formula after a leading tab or carriage return (OWASP's list), and
# ignores leading spaces before "=".
CSV_FORMULA_START = (*FORMULA_START, "\t", "\r")
BOLD = Font(bold=True)
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


class Book:
    """A new workbook; rows go straight to the file (write-only), in order."""

    def __init__(self):
        self._wb = Workbook(write_only=True)

    def sheet(self, title: str) -> Sheet:
        # Excel's rules for a sheet name: at most 31 characters, none of []:*?/\
        title = _BAD_TITLE.sub(" ", xmltext.strip(str(title))).strip()[:31] or "Sheet"
        return Sheet(self._wb.create_sheet(title))

    def save(self, target) -> None:
        self._wb.save(target)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self._wb.save(out)
        return out.getvalue()


class Sheet:
    def __init__(self, ws):
        self._ws = ws

    def append(self, values, bold: bool = False) -> None:
        self._ws.append([cell(self._ws, v, bold) for v in values])


def cell(ws, value, bold: bool = False):
    """A value for a write-only sheet; `=…`, `+…`, `-…`, `@…` text is never evaluated (formula injection)."""
    if isinstance(value, str):
        value = xmltext.strip(value)
    formula_like = isinstance(value, str) and value.startswith(FORMULA_START)
    if not (formula_like or bold):
        return value
    out = WriteOnlyCell(ws, value=value)
    if formula_like:
        out.data_type = "s"
    if bold:
        out.font = BOLD
    return out


def csv_text(value):
    """A CSV value with the same guard (a leading apostrophe, as Excel itself writes)."""
    if isinstance(value, str) and value.lstrip(" ").startswith(CSV_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_bytes(rows) -> bytes:
    """Rows as UTF-8 CSV with a BOM (Excel then opens it correctly), every value guarded."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def append(sheet: Sheet, values, bold: bool = False) -> None:
    sheet.append(values, bold)
