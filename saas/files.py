"""Uploaded files (evidence, photos, sign-in sheets…): size- and content-checked, stored under
UPLOAD_DIR/<tenant>/, recorded as tenant-scoped Attachments that any feature can own."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from . import xmltext
from .extensions import db
from .tenancy import TenantScoped, current_tenant_id, utcnow

# kind → (extension, content type)
KINDS = {
    "pdf": ("pdf", "application/pdf"),
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "webp": ("webp", "image/webp"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "ole": ("doc", "application/msword"),  # legacy .doc / .xls
}
EVIDENCE_KINDS = frozenset(KINDS)


class UploadError(ValueError):
    """The message is for the user."""


class Attachment(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(sa.String(64))
    owner_id: Mapped[int]
    # What the file is for inside its owner, e.g. the checklist item it evidences.
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_attachment_tenant_owner", "tenant_id", "owner_type", "owner_id"),)

    @property
    def audit_label(self) -> str:
        return self.filename


def sniff(head: bytes, data: bytes | None = None) -> str | None:
    """The kind of file by its first bytes (and, for zip-based Office files, its contents)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"PK\x03\x04") and data is not None:
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
                if any(n.startswith(prefix) for n in names):
                    return kind
    return None


def read_upload(storage, kinds=EVIDENCE_KINDS, max_bytes: int | None = None) -> tuple[bytes, str]:
    """Read an uploaded file within the size limit and check its kind by content."""
    if storage is None or not storage.filename:
        raise UploadError(_("Choose a file to upload."))
    limit = max_bytes or current_app.config["UPLOAD_MAX_BYTES"]
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        if limit >= 1024 * 1024:
            raise UploadError(_("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)))
        raise UploadError(_("The file is larger than %(kb)d KB.", kb=max(1, limit // 1024)))
    if not data:
        raise UploadError(_("The file is empty."))
    kind = sniff(data[:16], data)
    if kind not in kinds:
        raise UploadError(_("This type of file is not accepted."))
    return data, kind


def store(storage, owner_type: str, owner_id: int, label: str = "", kinds=EVIDENCE_KINDS,
          user_id: int | None = None) -> Attachment:
    data, kind = read_upload(storage, kinds)
    ext, content_type = KINDS[kind]
    tenant_id = current_tenant_id()
    relative = Path(str(tenant_id)) / "files" / f"{uuid.uuid4().hex}.{ext}"
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    name = xmltext.strip(Path(storage.filename).name)[:255] or f"file.{ext}"  # listed in the .docx dossier
    attachment = Attachment(owner_type=owner_type, owner_id=owner_id, label=label, filename=name,
                            stored_name=str(relative), content_type=content_type, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=user_id)
    db.session.add(attachment)
    return attachment


def attachments_of(owner_type: str, owner_id: int) -> list[Attachment]:
    return list(db.session.scalars(
        sa.select(Attachment).where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
        .order_by(Attachment.created_at.desc())
    ))


def get_for_owner(attachment_id: int, owner_type: str, owner_id: int) -> Attachment:
    """The attachment, if it belongs to this owner in this tenant; 404 otherwise."""
    attachment = db.session.scalar(sa.select(Attachment).where(
        Attachment.id == attachment_id, Attachment.owner_type == owner_type, Attachment.owner_id == owner_id))
    if attachment is None:
        abort(404)
    return attachment


def stored_path(relative: str | None) -> Path | None:
    """The file under UPLOAD_DIR at `relative`, or None if missing or outside the directory
    (a stored name is data: it must never walk out of the upload root)."""
    if not relative:
        return None
    root = Path(current_app.config["UPLOAD_DIR"]).resolve()
    path = (root / relative).resolve()
    return path if root in path.parents and path.is_file() else None


def send(attachment: Attachment):
    path = stored_path(attachment.stored_name)
    if path is None:
        abort(404)
    return send_file(path, mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, filename: str, mimetype: str = XLSX):
    """Generated bytes (an export) as a download, with a UTF-8 file name (RFC 5987)."""
    from urllib.parse import quote

    from flask import Response

    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def delete(attachment: Attachment) -> None:
    path = Path(current_app.config["UPLOAD_DIR"]) / attachment.stored_name
    db.session.delete(attachment)
    path.unlink(missing_ok=True)
