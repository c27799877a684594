"""Roster files waiting in this tenant's folder: an update's preview to be confirmed, or a
large import for the worker (pages and API alike). Unconfirmed files go after a day."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from flask import current_app, g

UPLOAD_TOKEN = re.compile(r"[0-9a-f]{32}")
KEEP_SECONDS = 24 * 3600


def folder() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / str(g.tenant.id) / "imports"


def store(data: bytes) -> str:
    """The upload under a random name in this tenant's folder; relative to UPLOAD_DIR."""
    directory = folder()
    directory.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in directory.glob("*.xlsx"):  # previews nobody confirmed
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    relative = Path(str(g.tenant.id)) / "imports" / f"{uuid.uuid4().hex}.xlsx"
    (Path(current_app.config["UPLOAD_DIR"]) / relative).write_bytes(data)
    return str(relative)


def waiting(token: str) -> Path | None:
    """This tenant's waiting upload named by `token`, if it is still there."""
    if not UPLOAD_TOKEN.fullmatch(token or ""):
        return None
    path = folder() / f"{token}.xlsx"
    return path if path.is_file() else None


def remove(stored: str | None) -> None:
    if stored:
        (Path(current_app.config["UPLOAD_DIR"]) / stored).unlink(missing_ok=True)
