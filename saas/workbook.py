"""Reading uploaded workbooks (.xlsx): the one way an upload is opened as a spreadsheet (the
roster import, the training sign-in sheet).

An .xlsx is a zip of XML parts, and each layer can be a trap: a 45 KB file can unpack to
millions of empty rows, a `<dimension>` can claim any size, an XML part can declare entities.
So, before any XML is parsed, `check` looks at the zip's directory (entries, unpacked size,
compression ratio — Python's zipfile never inflates more than an entry declares) and at every
part's bytes (no DOCTYPE, no ENTITY, UTF-8 only); then `rows` streams the first sheet with a
row and a column cap and stops at a long run of empty rows. `check`'s unpacked size is also the
cheap measure of the work a file holds, which the callers use to send big files to the worker.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator

from flask_babel import gettext as _
from openpyxl import load_workbook

from . import xmltext
from .files import UploadError

MAX_ENTRIES = 500  # a workbook has a dozen parts
MAX_UNPACKED = 64 * 1024 * 1024
# Sheets compress 5–20 : 1; empty rows repeated by the million 700 : 1. Apache POI also stops at 100.
MAX_RATIO = 100
RATIO_FROM = 1024 * 1024  # a small part cannot hold much, whatever its ratio
EMPTY_RUN = 1000  # this many empty rows in a row end the sheet (formatting down to row 1,048,576)
_CHUNK = 1024 * 1024
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_UTF8 = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}


def unreadable() -> UploadError:
    return UploadError(_("The file could not be read as an Excel workbook."))


def check(data: bytes, max_unpacked: int = MAX_UNPACKED) -> int:
    """The workbook's unpacked size in bytes, or UploadError when it is no plain workbook."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise unreadable() from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise UploadError(_("The file has too many parts (%(n)d) to be a workbook.", n=len(entries)))
        total = 0
        for entry in entries:
            if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or entry.flag_bits & 0x1:
                raise unreadable()  # other compressions, or encrypted: Excel writes neither
            if entry.file_size > RATIO_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
                raise UploadError(_("The file unpacks to far more data than a spreadsheet holds."))
            total += entry.file_size
        if total > max_unpacked:
            raise UploadError(_("The file unpacks to more than %(mb)d MB.", mb=max_unpacked // (1024 * 1024)))
        for entry in entries:
            _check_part(archive, entry)
    return total


def _check_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """No DOCTYPE or ENTITY anywhere in the part, and XML only in UTF-8 (in UTF-16 or EBCDIC
    a declaration would not show in these bytes). Media parts pass: nothing parses them."""
    try:
        with archive.open(entry) as part:
            chunk = part.read(_CHUNK)
            head = chunk[:4]
            if head.startswith((b"\xfe\xff", b"\xff\xfe")) or (b"<" in head and b"\x00" in head):
                raise unreadable()
            declared = _ENCODING.match(chunk)
            if declared and declared.group(1).lower() not in _UTF8:
                raise unreadable()
            tail = b""
            while chunk:
                if _DECLARATION.search(tail + chunk):
                    raise UploadError(_("The file contains a document type declaration (DOCTYPE or ENTITY), "
                                        "which a spreadsheet does not need: save it again from Excel."))
                tail = chunk[-16:]
                chunk = part.read(_CHUNK)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise unreadable() from exc


def rows(data: bytes, max_rows: int, max_cols: int, max_unpacked: int = MAX_UNPACKED) -> Iterator[tuple[int, tuple]]:
    """(row number, values) of each non-empty row of the first sheet, `max_cols` values wide
    (strings without characters XML cannot carry); UploadError past `max_rows` rows, or when
    the file is damaged. A run of EMPTY_RUN empty rows ends the sheet."""
    check(data, max_unpacked)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops (validation, styles)
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise unreadable() from exc
    try:
        if not book.worksheets:
            raise unreadable()
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # `<dimension>` is what the file claims, not what it holds
        source = sheet.iter_rows(max_col=max_cols, values_only=True)
        empty = 0
        number = 0
        while True:
            try:
                values = next(source, None)
            except Exception as exc:
                raise unreadable() from exc
            if values is None:
                return
            number += 1
            values = tuple(xmltext.strip(v) if isinstance(v, str) else v for v in values)
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                empty += 1
                if empty >= EMPTY_RUN:
                    return
                continue
            empty = 0
            if number > max_rows:
                raise UploadError(_("The sheet has more than %(n)d rows: split it into several files.", n=max_rows))
            yield number, values
    finally:
        book.close()
