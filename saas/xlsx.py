"""Writing spreadsheets people will open in Excel: text that looks like a formula stays text."""

from __future__ import annotations

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_START = ("=", "+", "-", "@")


def cell(ws, value):
    """A value for a write-only sheet; `=…`, `+…`, `-…`, `@…` text is never evaluated (formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        out = WriteOnlyCell(ws, value=value)
        out.data_type = "s"
        return out
    return value


def append(ws, values) -> None:
    if isinstance(ws, WriteOnlyWorksheet):
        ws.append([cell(ws, v) for v in values])
        return
    ws.append(list(values))
    for c in ws[ws.max_row]:
        if isinstance(c.value, str) and c.value.startswith(FORMULA_START):
            c.data_type = "s"


def csv_text(value):
    """A CSV value with the same guard (a leading apostrophe, as Excel itself writes)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value
