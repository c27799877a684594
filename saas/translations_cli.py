"""`flask translations update` (extract, merge, fill English) and `flask translations check`.

Message ids are English, so the English catalogue is the ids themselves; zh_CN is written by
hand in translations/zh_CN/LC_MESSAGES/messages.po. `make test` fails while either has a gap.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click
from babel.messages.pofile import read_po, write_po
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "translations"
translations = AppGroup("translations", help="Message catalogues (zh_CN, en).")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def untranslated(locale: str) -> list[str]:
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


@translations.command("update")
def update():
    """Extract messages, merge them into both catalogues, fill English from the ids."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                 "--sort-output", "-o", str(pot), ".")
        _pybabel("update", "-i", str(pot), "-d", str(CATALOGUES), "--no-fuzzy-matching", "--ignore-obsolete")
    path = CATALOGUES / "en" / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with open(path, "wb") as fh:
        write_po(fh, catalog, omit_header=False, no_location=True, sort_output=True)
    for message_id in untranslated("zh_CN"):
        click.echo(f"zh_CN needs: {message_id!r}")


@translations.command("check")
def check():
    """Exit 1 when a message lacks a translation in zh_CN or en."""
    bad = {loc: untranslated(loc) for loc in ("zh_CN", "en")}
    for loc, ids in bad.items():
        for message_id in ids:
            click.echo(f"{loc}: {message_id!r}")
    if any(bad.values()):
        sys.exit(1)
