"""HTML → PDF through pdfkit / wkhtmltopdf, sandboxed.

Documents are rendered from a plain dict (never ORM objects) with autoescaping, so whatever a
user typed is text in the PDF. wkhtmltopdf runs with JavaScript and local file access disabled
and no network; fonts are the system's Noto CJK (Debian's fonts-noto-cjk), named in CSS.
Debian's build uses an unpatched Qt: no header/footer switches and no repeated <thead>, so long
tables are cut into page-sized chunks by templates/pdf/_table.html. Every PDF leaves through
`html_to_pdf`, which also repairs the fonts' text maps (saas/pdf/text.py: 示 not ⽰).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime

import pdfkit
from flask import render_template

OPTIONS = {
    "encoding": "UTF-8",
    "page-size": "A4",
    "margin-top": "18mm",
    "margin-bottom": "18mm",
    "margin-left": "16mm",
    "margin-right": "16mm",
    "disable-javascript": None,
    "disable-local-file-access": None,
    "disable-external-links": None,
    "no-outline": None,
    "quiet": None,
}


class PdfUnavailable(RuntimeError):
    """wkhtmltopdf is not installed here."""


def wkhtmltopdf() -> str:
    path = shutil.which("wkhtmltopdf")
    if path is None:
        raise PdfUnavailable("wkhtmltopdf is not installed (Debian package wkhtmltopdf)")
    return path


def render_html(template: str, context: dict) -> str:
    return render_template(template, **context)


# wkhtmltopdf writes the moment of rendering as the creation date, the one difference between two
# renderings of the same page: 14 digits, replaced in place so that no offset of the file moves.
_CREATION_DATE = re.compile(rb"(/CreationDate \(D:)[0-9]{14}")


def html_to_pdf(html: str, created: datetime | None = None, options: dict | None = None) -> bytes:
    """The PDF of `html`; with `created` (UTC) as its creation date, the same page always makes
    the same bytes (a submitted version made again keeps its SHA-256). `options` change the
    page's layout (margins: saas.pdf.stamp), never the sandbox switches."""
    # Qt seeds its hash tables at random per process, which changes the order of the embedded
    # fonts from one rendering to the next; a fixed seed makes the file depend on the page alone.
    config = pdfkit.configuration(wkhtmltopdf=wkhtmltopdf(), environ={**os.environ, "QT_HASH_SEED": "0"})
    pdf = pdfkit.from_string(html, False, options={**OPTIONS, **(options or {})}, configuration=config)
    if created is not None:
        pdf = _CREATION_DATE.sub(lambda m: m.group(1) + created.strftime("%Y%m%d%H%M%S").encode(), pdf, count=1)
    from .text import fix_text_map  # the extracted text must be the characters written

    return fix_text_map(pdf)


def render_pdf(template: str, context: dict, created: datetime | None = None) -> bytes:
    return html_to_pdf(render_html(template, context), created)
