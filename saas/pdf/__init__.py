"""HTML → PDF through pdfkit / wkhtmltopdf, sandboxed.

Documents are rendered from a plain dict (never ORM objects) with autoescaping, so whatever a
user typed is text in the PDF. wkhtmltopdf runs with JavaScript and local file access disabled
and no network; fonts are the system's Noto CJK (Debian's fonts-noto-cjk), named in CSS.
Debian's build uses an unpatched Qt: no header/footer switches and no repeated <thead>, so long
tables are cut into page-sized chunks by templates/pdf/_table.html.
"""

from __future__ import annotations

import shutil

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


def html_to_pdf(html: str) -> bytes:
    config = pdfkit.configuration(wkhtmltopdf=wkhtmltopdf())
    return pdfkit.from_string(html, False, options=OPTIONS, configuration=config)


def render_pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render_html(template, context))
