"""One tenant as a single .zip archive, and back (issue 24): the way a base moves between operators.

Archive layout (FORMAT 1):

    manifest.json           format, schema revision, the tenant, rows per table, SHA-256 of every member
    tenant.json             the tenant row (its bureau by name)
    users.json              the accounts its rows refer to, by e-mail: never a password hash or token
    tables/<table>.json     every tenant-owned table: {"table", "columns", "rows": [[…], …]}, the source ids
    tables.xlsx             the same rows, one sheet per table, for people
    files/<path>            every file under the tenant's upload folder (saas/files.py), same layout

"Every tenant-owned table" is read from the metadata (each model with the TenantScoped mixin,
saas/tenancy.py), never listed here, so a table added tomorrow is exported and imported with no
change to this module. The audit log is one of them (audit_event).

Import gives every row a new id: tables are loaded in dependency order (metadata.sorted_tables),
each foreign key mapped to the new id of what it pointed at — a tenant row, an account (matched by
e-mail, or created without a password: its owner sets one through "forgot password"), a bureau
(matched by name) — and the references without a foreign key (an attachment's owner, an audit
event's object) by their type. Stored file paths are moved to the new tenant's folder. All of it
in one transaction; files written before a failure are removed again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from . import xlsx
from .auth.models import User
from .extensions import db
from .jobs import job
from .tenancy import SLUG_RE, Bureau, Tenant, _scoped_tables, current_tenant_id, new_data_version, tenant_scope
from .tenant_lifecycle import upload_folder

log = logging.getLogger(__name__)

FORMAT = 1
# Archives made for download live here, inside the tenant's folder (purged with it); they are
# never put into the next archive.
ARCHIVE_DIR = "archives"
KEEP_ARCHIVES = 3
CHUNK = 1000
# Tenant columns that belong to this installation, not to the base: never carried over.
TENANT_LOCAL = {"id", "slug", "bureau_id", "status", "suspended_at", "suspended_by_id", "purge_after",
                "data_version"}
USER_FIELDS = ("email", "name", "locale")
# An attachment's owner_type is the owner's table, except these older names (saas/files.py callers).
OWNER_TABLES = {"training": "training_event", "visit": "guidance_visit"}


class ArchiveError(ValueError):
    """The message is for the user."""


# Which tables -----------------------------------------------------------------------------

def exported_tables() -> list[sa.Table]:
    """Every tenant-owned table (TenantScoped models), parents before children."""
    scoped = _scoped_tables()
    return [t for t in db.metadata.sorted_tables if t in scoped]


def _class_tables() -> dict[str, str]:
    """Model class name → table name (an audit event names its object by class)."""
    return {m.class_.__name__: m.local_table.name for m in db.Model.registry.mappers}


def _soft_reference(table: str, column: str):
    """For a column holding another row's id without a foreign key: a function row → the table
    that id belongs to (None: unknown, kept as it is). None for every other column."""
    if table == "attachment" and column == "owner_id":
        return lambda row: OWNER_TABLES.get(row.get("owner_type"), row.get("owner_type"))
    if table == "audit_event" and column == "object_id":
        classes = _class_tables()
        return lambda row: classes.get(row.get("object_type"))
    return None


def _fk_target(column: sa.Column) -> sa.Column | None:
    fks = list(column.foreign_keys)
    return fks[0].column if fks else None


def _single_id(table: sa.Table) -> sa.Column | None:
    pk = list(table.primary_key.columns)
    return pk[0] if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) else None


def schema_revision() -> str:
    try:
        return db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() or ""
    except sa.exc.DBAPIError:
        db.session.rollback()
        return ""


# Values -----------------------------------------------------------------------------------

def _encode(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _decode(column: sa.Column, value):
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Time):
        return time.fromisoformat(value)
    if isinstance(kind, sa.Float):
        return float(value)
    if isinstance(kind, sa.Numeric):
        return Decimal(str(value))
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    return value


def _cell(value):
    """A value for the spreadsheet (saas/xlsx.py writes the cell)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _HashingWriter:
    """Text written to a zip member while its SHA-256 is computed."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.name = name
        self._out = archive.open(name, "w", force_zip64=True)
        self._digest = hashlib.sha256()

    def write(self, text: str) -> None:
        data = text.encode()
        self._digest.update(data)
        self._out.write(data)

    def close(self) -> str:
        self._out.close()
        return self._digest.hexdigest()


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Export -----------------------------------------------------------------------------------

def tenant_files(tenant_id: int) -> list[tuple[str, Path]]:
    """(path relative to the tenant's folder, absolute path) of every file of the tenant, except
    the archives made for download."""
    folder = upload_folder(tenant_id)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not path.is_symlink() and not relative.startswith(ARCHIVE_DIR + "/"):
            out.append((relative, path))
    return out


def _rows(table: sa.Table, tenant_id: int):
    """The tenant's rows of `table` in id order, CHUNK at a time by keyset (no server-side
    cursor: it would not carry the transaction's row-level security settings, saas/rls.py)."""
    select = sa.select(table).where(table.c.tenant_id == tenant_id).order_by(*table.primary_key.columns)
    id_column = _single_id(table)
    if id_column is None:
        yield from db.session.execute(select)
        return
    last = None
    while True:
        page = select if last is None else select.where(id_column > last)
        rows = db.session.execute(page.limit(CHUNK)).all()
        yield from rows
        if len(rows) < CHUNK:
            return
        last = rows[-1]._mapping[id_column]


def export_tenant(tenant_id: int, target, progress=None) -> dict:
    """Write the archive of tenant `tenant_id` to `target` (a path or a binary file); its summary."""
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise ArchiveError(_("No such tenant."))
    revision = schema_revision()
    tables = exported_tables()
    members: dict[str, str] = {}
    table_info: dict[str, dict] = {}
    user_ids: set[int] = set()
    bureau_ids: set[int] = {tenant.bureau_id} if tenant.bureau_id else set()
    book = xlsx.Book()
    with tenant_scope(tenant_id), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for number, table in enumerate(tables):
            columns = list(table.c)
            names = [c.name for c in columns]
            users_at = [i for i, c in enumerate(columns) if (t := _fk_target(c)) is not None and t.table.name == "user"]
            bureaus_at = [i for i, c in enumerate(columns) if (t := _fk_target(c)) is not None and t.table.name == "bureau"]
            sheet = book.sheet(table.name)
            sheet.append(names, bold=True)
            out = _HashingWriter(archive, f"tables/{table.name}.json")
            out.write(_dumps({"table": table.name, "columns": names})[:-1] + ',"rows":[')
            count = 0
            for row in _rows(table, tenant_id):
                values = [_encode(v) for v in row]
                out.write(("," if count else "") + _dumps(values))
                sheet.append([_cell(v) for v in row])
                user_ids.update(row[i] for i in users_at if row[i] is not None)
                bureau_ids.update(row[i] for i in bureaus_at if row[i] is not None)
                count += 1
            out.write("]}")
            members[out.name] = out.close()
            table_info[table.name] = {"rows": count}
            if progress:
                progress(int(70 * (number + 1) / len(tables)))
        users = [dict(id=u.id, **{f: getattr(u, f) for f in USER_FIELDS})
                 for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)).order_by(User.id))]
        bureaus = dict(db.session.execute(sa.select(Bureau.id, Bureau.name).where(Bureau.id.in_(bureau_ids))).all())
        row = {c.key: _encode(getattr(tenant, c.key)) for c in sa.inspect(Tenant).column_attrs
               if c.key not in TENANT_LOCAL}
        row.update(id=tenant.id, slug=tenant.slug, bureau=bureaus.get(tenant.bureau_id))
        for name, payload in (("tenant.json", row), ("users.json", users),
                              ("bureaus.json", {str(k): v for k, v in bureaus.items()})):
            out = _HashingWriter(archive, name)
            out.write(json.dumps(payload, ensure_ascii=False, indent=1))
            members[name] = out.close()
        with tempfile.TemporaryDirectory() as scratch:
            sheet_path = Path(scratch) / "tables.xlsx"
            book.save(sheet_path)
            archive.write(sheet_path, "tables.xlsx")
            members["tables.xlsx"] = sha256_file(sheet_path)
        files = {}
        for relative, path in tenant_files(tenant_id):
            name = f"files/{relative}"
            archive.write(path, name)
            files[relative] = {"sha256": sha256_file(path), "size": path.stat().st_size}
            members[name] = files[relative]["sha256"]
        if progress:
            progress(95)
        manifest = {
            "format": FORMAT,
            "kind": "tenant-archive",
            "schema_revision": revision,
            "exported_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "tenant": {"id": tenant.id, "slug": tenant.slug, "name": tenant.name},
            "tables": table_info,
            "audit_log": "tables/audit_event.json",
            "files": files,
            "checksums": members,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return {"tables": len(tables), "rows": sum(t["rows"] for t in table_info.values()), "files": len(files)}


@job(queue="default", timeout=3600, retries=0, permission="tenant.export", title=lambda: _("Archive of this base"))
def export_archive(ctx):
    """Background export of the current tenant; the result is the archive to download."""
    tenant = db.session.get(Tenant, current_tenant_id())
    relative = Path(str(tenant.id)) / ARCHIVE_DIR / f"{uuid.uuid4().hex}.zip"
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        summary = export_tenant(tenant.id, path, progress=ctx.progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    # An archive holds everything: keep only the newest few of them on disk.
    for old in sorted(path.parent.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP_ARCHIVES:]:
        old.unlink(missing_ok=True)
    return {"file": str(relative), "filename": f"{tenant.slug}-{date.today():%Y%m%d}.zip", **summary}


# Import -----------------------------------------------------------------------------------

@dataclass
class Imported:
    tenant: Tenant
    ids: dict[str, dict[int, int]] = field(default_factory=dict)  # table → source id → new id
    rows: int = 0
    files: int = 0
    users_created: int = 0
    warnings: list[str] = field(default_factory=list)


def _safe_relative(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise ArchiveError(_("The archive holds a file outside its folder: %(name)s.", name=name))
    return path.as_posix()


def _open(archive: zipfile.ZipFile, name: str):
    try:
        return json.loads(archive.read(name))
    except KeyError:
        raise ArchiveError(_("The archive lacks %(name)s.", name=name)) from None
    except ValueError:
        raise ArchiveError(_("The archive's %(name)s is not valid JSON.", name=name)) from None


def _check(archive: zipfile.ZipFile) -> dict:
    manifest = _open(archive, "manifest.json")
    if manifest.get("kind") != "tenant-archive" or manifest.get("format") != FORMAT:
        raise ArchiveError(_("This is not a tenant archive this version can read."))
    checksums = manifest.get("checksums") or {}
    present = set(archive.namelist()) - {"manifest.json"}
    if present != set(checksums):
        raise ArchiveError(_("The archive's contents do not match its manifest."))
    for name, expected in checksums.items():
        digest = hashlib.sha256()
        with archive.open(name) as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise ArchiveError(_("The archive is damaged: %(name)s does not match its checksum.", name=name))
    return manifest


def _import_order(names: set[str]) -> list[sa.Table]:
    """The archive's tables in this installation's dependency order; those referred to only by
    id without a foreign key (attachment, audit_event) last, once their owners have new ids."""
    tables = [t for t in exported_tables() if t.name in names]
    soft = {t.name for t in tables if any(_soft_reference(t.name, c.name) for c in t.c)}
    for table in tables:
        for column in table.c:
            target = _fk_target(column)
            if target is not None and target.table.name in soft and target.table is not table:
                raise RuntimeError(f"{table.name}.{column.name} refers to {target.table.name}, loaded last")
    return [t for t in tables if t.name not in soft] + [t for t in tables if t.name in soft]


def _parents_first(rows: list[dict], id_name: str, columns: list[str]) -> list[dict]:
    """Rows of a table referring to its own rows (a parent), parents before children."""
    pending, done, ordered = list(rows), set(), []
    ids = {r[id_name] for r in rows}
    while pending:
        ready = [r for r in pending if all(r[c] is None or r[c] not in ids or r[c] in done for c in columns)]
        if not ready:
            raise ArchiveError(_("The archive's rows refer to each other in a circle."))
        ordered.extend(ready)
        done.update(r[id_name] for r in ready)
        ready_ids = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in ready_ids]
    return ordered


def _derived(result: Imported) -> None:
    """Rows derived from others (member_training_year, member_checklist, member_visit_year,
    member_figures) recomputed from what was loaded, whatever the archive held of them: an
    archive of an older schema has none."""
    from tenants.kept_rows import rebuild_all

    rebuild_all(result.tenant.id)


def import_tenant(source, slug: str | None = None) -> Imported:
    """Load the archive `source` (a path or a binary file) as a new tenant; commits. With `slug`
    the tenant gets that slug instead of its own. Raises ArchiveError, leaving nothing behind."""
    with zipfile.ZipFile(source) as archive:
        manifest = _check(archive)
        written: list[Path] = []
        try:
            result = _load(archive, manifest, slug, written)
            _derived(result)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            for path in written:
                path.unlink(missing_ok=True)
            _remove_empty_dirs(written)
            raise


def _remove_empty_dirs(written: list[Path]) -> None:
    root = Path(current_app.config["UPLOAD_DIR"]).resolve()
    for directory in sorted({p.parent for p in written}, key=lambda p: -len(p.parts)):
        while directory.resolve() != root and root in directory.resolve().parents:
            try:
                directory.rmdir()
            except OSError:
                break
            directory = directory.parent


def _load(archive: zipfile.ZipFile, manifest: dict, slug: str | None, written: list[Path]) -> Imported:
    source = _open(archive, "tenant.json")
    slug = (slug or source.get("slug") or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise ArchiveError(_("The short name may use lower-case letters, digits and dashes only."))
    if db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ArchiveError(_("The short name %(slug)s is taken: choose another one.", slug=slug))
    old_tenant_id = int(manifest["tenant"]["id"])
    warnings: list[str] = []

    # The tenant row.
    bureau = None
    if source.get("bureau"):
        bureau = db.session.scalar(sa.select(Bureau).where(Bureau.name == source["bureau"]))
        if bureau is None:
            warnings.append(f"no bureau named {source['bureau']!r} here: the tenant has none")
    attrs = {c.key: c for c in sa.inspect(Tenant).column_attrs}
    values = {}
    for key, value in source.items():
        if key in TENANT_LOCAL or key in ("bureau",) or key not in attrs:
            continue
        values[key] = _decode(attrs[key].columns[0], value)
    tenant = Tenant(**values, slug=slug, bureau=bureau, status="active", data_version=new_data_version())
    db.session.add(tenant)
    db.session.flush()
    result = Imported(tenant, warnings=warnings)
    ids = result.ids
    ids["tenant"] = {old_tenant_id: tenant.id}

    # Accounts, by e-mail.
    ids["user"] = {}
    for person in _open(archive, "users.json"):
        email = User.normalise_email(person["email"])
        user = User.by_email(email)
        if user is None:
            user = User(email=email, name=person.get("name") or email, locale=person.get("locale"),
                        password_hash=None)
            db.session.add(user)
            db.session.flush()
            result.users_created += 1
        ids["user"][int(person["id"])] = user.id
    bureau_names = {int(k): v for k, v in _open(archive, "bureaus.json").items()}
    by_name = dict(db.session.execute(sa.select(Bureau.name, Bureau.id)
                                      .where(Bureau.name.in_(set(bureau_names.values())))).all())
    ids["bureau"] = {old: by_name[name] for old, name in bureau_names.items() if name in by_name}

    # Files: under the new tenant's folder, same layout.
    files = manifest.get("files") or {}
    folder = upload_folder(tenant.id)
    old_prefix, new_prefix = f"{old_tenant_id}/", f"{tenant.id}/"
    moved = {old_prefix + _safe_relative(relative) for relative in files}

    def relink(value):
        if isinstance(value, str):
            return new_prefix + value[len(old_prefix):] if value in moved else value
        if isinstance(value, dict):
            return {k: relink(v) for k, v in value.items()}
        if isinstance(value, list):
            return [relink(v) for v in value]
        return value

    # Rows, parents first, every reference to its new id.
    names = {n for n in (manifest.get("tables") or {})}
    known = {t.name for t in exported_tables()}
    unknown = sorted(names - known)
    if unknown:
        raise ArchiveError(_("This installation has no table %(name)s: upgrade it before importing.",
                             name=", ".join(unknown)))
    with tenant_scope(tenant.id):
        connection = db.session.connection()
        for table in _import_order(names):
            data = _open(archive, f"tables/{table.name}.json")
            columns = data["columns"]
            missing = [c for c in columns if c not in table.c]
            if missing:
                raise ArchiveError(_("This installation's table %(table)s has no column %(column)s: upgrade it "
                                     "before importing.", table=table.name, column=", ".join(missing)))
            id_column = _single_id(table)
            rows = [{c: _decode(table.c[c], v) for c, v in zip(columns, values)} for values in data["rows"]]
            plan = []  # (column, target table name or soft-reference function, nullable)
            for column in table.c:
                if column.name not in columns or column is id_column:
                    continue
                target = _fk_target(column)
                if target is not None:
                    plan.append((column.name, target.table.name, column.nullable))
                elif (soft := _soft_reference(table.name, column.name)) is not None:
                    plan.append((column.name, soft, True))
            self_refs = [name for name, target, _n in plan if target == table.name]
            if self_refs and id_column is not None:
                rows = _parents_first(rows, id_column.name, self_refs)
            source_ids = [row.pop(id_column.name) for row in rows] if id_column is not None else []
            table_ids = ids.setdefault(table.name, {})
            for n, row in enumerate(rows):
                for name, target, nullable in plan:
                    value = row[name]
                    if value is None or name in self_refs:
                        continue
                    soft = callable(target)
                    target_table = target(row) if soft else target
                    mapping = ids.get(target_table) if target_table else None
                    if mapping is not None and value in mapping:
                        row[name] = mapping[value]
                    elif soft:
                        # An object deleted before the export (an audit event's, an orphan file's):
                        # minus its old id, so it never names an unrelated new row.
                        if mapping is not None and value > 0:
                            row[name] = -value
                        elif mapping is None:
                            note = f"{table.name}.{name}: rows of unknown kind {target_table!r} kept their ids"
                            if note not in warnings:
                                warnings.append(note)
                    elif nullable:
                        row[name] = None
                        note = f"{table.name}.{name}: {target_table} rows are not carried over, left empty"
                        if note not in warnings:
                            warnings.append(note)
                    else:
                        raise ArchiveError(_("Row %(id)s of %(table)s refers to %(target)s %(value)s, which "
                                             "is neither in the archive nor here.",
                                             id=source_ids[n] if source_ids else n, table=table.name,
                                             target=target_table, value=value))
                for name, value in row.items():
                    if isinstance(value, (str, dict, list)):
                        row[name] = relink(value)
                row["tenant_id"] = tenant.id
            # Self references need the new id of a row inserted just before: one row at a time.
            step = 1 if self_refs else CHUNK
            for start in range(0, len(rows), step):
                chunk = rows[start:start + step]
                if self_refs:
                    for row in chunk:
                        for name in self_refs:
                            if row[name] is not None:
                                row[name] = table_ids.get(row[name], row[name])
                if id_column is not None:
                    new = connection.execute(
                        table.insert().returning(id_column, sort_by_parameter_order=True), chunk).scalars().all()
                    table_ids.update(zip(source_ids[start:start + step], new))
                elif chunk:
                    connection.execute(table.insert(), chunk)
            result.rows += len(rows)

    # Files last: nothing is written unless every row is in. A folder left by an earlier tenant
    # of the same id (SQLite reuses ids) must not pass for this one's.
    if files and folder.is_dir() and any(folder.iterdir()):
        raise ArchiveError(_("The upload folder %(folder)s of the new tenant is not empty: move it away and "
                             "import again.", folder=str(folder)))
    for relative, meta in files.items():
        relative = _safe_relative(relative)
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(f"files/{relative}") as src, open(path, "xb") as dst:
            written.append(path)
            shutil.copyfileobj(src, dst, 1 << 20)
        if sha256_file(path) != meta["sha256"]:
            raise ArchiveError(_("The archive is damaged: %(name)s does not match its checksum.", name=relative))
        result.files += 1
    result.warnings = warnings
    log.info("tenant archive %s imported as %s (%s rows, %s files)", manifest["tenant"]["slug"], slug,
             result.rows, result.files)
    return result


def import_upload(storage, slug: str | None = None) -> Imported:
    """An uploaded archive (the admin page): spooled to a temporary file, then imported."""
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(storage.stream, spool, 1 << 20)
        spool.seek(0)
        try:
            return import_tenant(spool, slug)
        except zipfile.BadZipFile:
            raise ArchiveError(_("This is not a tenant archive this version can read.")) from None

