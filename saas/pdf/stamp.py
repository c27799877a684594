"""Page numbers and a draft mark on every page of a finished PDF.

Debian's wkhtmltopdf (unpatched Qt) has no header or footer switches, so the marks are made
afterwards: wkhtmltopdf renders one overlay page per page of the document (a footer line pushed
into the bottom margin by a top margin of almost the whole page) and, for a draft, one watermark
page in light grey; pypdf lays them over each page. The marks are real
text in the system's Noto CJK, so `pdftotext` finds 草稿 and the page numbers too.

Given the document's creation date, the same document always gets the same bytes (a submitted
version made again keeps its SHA-256).
"""

from __future__ import annotations

import io
import re
from datetime import datetime

from markupsafe import escape

from . import html_to_pdf

# The footer page: everything above the last 11 mm is margin, so the line lands in the
# document's own bottom margin (18 mm, saas.pdf.OPTIONS), under its text.
FOOTER_OPTIONS = {"margin-top": "285mm", "margin-bottom": "0mm", "margin-left": "16mm", "margin-right": "16mm",
                  "disable-smart-shrinking": None}
WATERMARK_OPTIONS = {"margin-top": "110mm", "margin-bottom": "0mm", "margin-left": "0mm", "margin-right": "0mm"}
STYLE = ('<style>body{margin:0;font-family:"Noto Sans CJK SC",sans-serif;color:#444}'
         '.f{font-size:8pt;text-align:center;height:6mm;overflow:hidden;page-break-after:always}'
         '.f:last-child{page-break-after:auto}'
         '.w{font-size:120pt;color:#d8d8d8;text-align:center;'
         'letter-spacing:20pt}</style>')


# wkhtmltopdf fills the document's canvas white (--no-background would darken light text
# instead): in an overlay that white would hide the page beneath, so the fill becomes a no-op.
_WHITE_FILL = re.compile(rb"(1 1 1 scn\n/GSa gs\nq\n[-\d. ]+ cm\n[-\d. ]+ re\n)f\n")


def _overlay(html: str, created: datetime | None, options: dict) -> list:
    """The pages of `html` rendered as an overlay: transparent but for its text."""
    from pypdf import PdfReader, PdfWriter

    pages = PdfWriter(clone_from=PdfReader(io.BytesIO(html_to_pdf(html, created, options)))).pages
    for page in pages:
        contents = page.get_contents()
        contents.set_data(_WHITE_FILL.sub(rb"\1n\n", contents.get_data()))
        page.replace_contents(contents)
    return list(pages)


class StampError(RuntimeError):
    """The overlay did not come out with one page per page of the document."""


def _html(body: str) -> str:
    return f'<!doctype html><html><head><meta charset="utf-8">{STYLE}</head><body>{body}</body></html>'


def stamp(pdf: bytes, footer: str, watermark: str = "", created: datetime | None = None) -> bytes:
    """`pdf` with `footer` (a %-format with %(page)d and %(pages)d) at the bottom of every page
    and, when given, `watermark` across every page, beneath the text."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    pages = len(writer.pages)
    lines = "".join(f'<div class="f">{escape(footer % {"page": n, "pages": pages})}</div>'
                    for n in range(1, pages + 1))
    footers = _overlay(_html(lines), created, FOOTER_OPTIONS)
    if len(footers) != pages:
        raise StampError(f"footer overlay has {len(footers)} pages for {pages}")
    mark = _overlay(_html(f'<div class="w">{escape(watermark)}</div>'), created, WATERMARK_OPTIONS)[0] \
        if watermark else None
    for page, footer_page in zip(writer.pages, footers):
        if mark is not None:
            page.merge_page(mark)
        page.merge_page(footer_page)
    if created is not None:
        # pypdf names the file by a hash of its content and the moment: the moment is fixed here.
        writer.add_metadata({"/CreationDate": created.strftime("D:%Y%m%d%H%M%S")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
