"""Backups: `flask backup`, `flask restore ARCHIVE` and the worker's nightly backup.

One archive, `backup-YYYYmmddTHHMMSSZ.tar.gz` (mode 0600, in BACKUP_DIR), holds:

- `database.dump` — `pg_dump --format=custom` taken in one snapshot (PostgreSQL), or
  `database.sqlite3` — a copy made by SQLite's online backup API (SQLite);
- `uploads/…` — every file under UPLOAD_DIR (read after the database, so every file a backed-up
  row names is there);
- `manifest.json` (last) — format, time, database kind, schema revision (alembic_version), each
  table's row count and the SHA-256 of its rows in primary-key order (computed in the same
  snapshot as the dump), and the SHA-256 and size of every other member.

The archive is written under a temporary name and linked to its final name only when complete,
so an interrupted backup never leaves a file named like a backup. A restore extracts into a
staging directory while checking every checksum (a damaged or altered archive is refused before
anything is written), refuses a database that has any table or an upload directory that has any
file, restores, and checks the schema revision, row counts and row checksums against the
manifest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from datetime import datetime, time, timezone
from pathlib import Path, PurePosixPath

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.pool import NullPool

from .jobs import JobFailed, job
from .jobs.schedule import schedule_daily

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ARCHIVE = re.compile(r"^backup-\d{8}T\d{6}Z\.tar\.gz$")
CHUNK = 1024 * 1024
STALE_STAGING = 24 * 3600  # a staging directory this old was left by a backup that died


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message is one line for the operator."""


# -- where ------------------------------------------------------------------------------------------

def database_url(app=None) -> sa.engine.URL:
    """The database to back up or restore into, as the tables' owner (DATABASE_OWNER_URL: under
    row-level security only its `owner_maintenance` policy sees every row, saas/rls.py), or as
    the app's own role where no separate owner is configured."""
    config = (app or current_app).config
    url = sa.engine.make_url(config.get("DATABASE_OWNER_URL") or config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def _kind(url: sa.engine.URL) -> str:
    kind = url.get_backend_name()
    if kind not in DATABASE_MEMBER:
        raise BackupError(f"cannot back up a {kind} database")
    if kind == "sqlite" and (not url.database or url.database == ":memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return kind


def _engine(url: sa.engine.URL) -> sa.engine.Engine:
    # Its own engine, no pool, none of the app's session events: it sees every tenant's rows.
    return sa.create_engine(url, poolclass=NullPool)


def _libpq(url: sa.engine.URL) -> tuple[str, dict]:
    """A libpq connection string for the client tools, the password in their environment only
    (never on a command line other users can read)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str, server_major: int) -> str:
    """The client tool of the server's major version (Debian keeps one per version), or a newer one."""
    candidates = [f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name)]
    path = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if path is None:
        raise BackupError(f"{name} not found: install postgresql-client-{server_major}")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if found is None or int(found.group(1)) < server_major:
        raise BackupError(f"{path} is {out.strip() or 'unknown'}, older than the server (PostgreSQL "
                          f"{server_major}): install postgresql-client-{server_major}")
    return path


def _run(command: list[str], env: dict, what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {reason[:500]}")


# -- what the database holds ------------------------------------------------------------------------

def inventory(conn: sa.engine.Connection) -> tuple[str | None, dict[str, dict]]:
    """(schema revision, {table: {"rows": n, "sha256": digest of its rows in primary-key order}})
    of every table in the connection's schema, read in the connection's transaction."""
    if conn.dialect.name == "postgresql":
        # Timestamps with a time zone are read in the session's zone: the same one on both sides.
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    inspector = sa.inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    tables = {}
    keys = {table: pk.get("constrained_columns") or [] for (_schema, table), pk
            in inspector.get_multi_pk_constraint().items()}
    for name in sorted(inspector.get_table_names()):
        key = keys.get(name) or []
        sql = f"SELECT * FROM {quote(name)}"
        if key:
            sql += " ORDER BY " + ", ".join(quote(c) for c in key)
        rows = (repr(tuple(row)) for row in conn.execution_options(stream_results=True).exec_driver_sql(sql))
        if not key:
            rows = iter(sorted(rows))  # small tables without a key (alembic_version): any order, sorted
        digest, count = hashlib.sha256(), 0
        for text in rows:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\n")
            count += 1
        tables[name] = {"rows": count, "sha256": digest.hexdigest()}
    revision = None
    if "alembic_version" in tables:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return revision, tables


def is_empty(url: sa.engine.URL) -> bool:
    """No table, view or sequence in any schema of the database (or no SQLite file at all)."""
    if _kind(url) == "sqlite" and not Path(url.database).exists():
        return True
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                return not conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            return not conn.exec_driver_sql(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname !~ '^pg_(toast|temp)' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')").scalar()
    finally:
        engine.dispose()


def _dump(url: sa.engine.URL, staging: Path) -> dict:
    """The database into `staging`; its manifest entries."""
    kind = _kind(url)
    target = staging / DATABASE_MEMBER[kind]
    if kind == "sqlite":
        import sqlite3

        if not Path(url.database).exists():
            raise BackupError(f"no database at {url.database}")
        source, copy = sqlite3.connect(url.database), sqlite3.connect(target)
        try:
            source.backup(copy)  # one step: a consistent copy even while the app writes
        finally:
            source.close()
            copy.close()
        engine = _engine(sa.engine.make_url(f"sqlite:///{target}"))
        try:
            with engine.connect() as conn:
                revision, tables = inventory(conn)
                server = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
        finally:
            engine.dispose()
        return {"database": kind, "server_version": server, "schema_revision": revision, "tables": tables}
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                # pg_dump reads the snapshot this transaction exported: the row counts and
                # checksums below describe exactly the rows in the dump.
                snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
                major = conn.dialect.server_version_info[0]
                server = conn.exec_driver_sql("SHOW server_version").scalar()
                dsn, env = _libpq(url)
                # --enable-row-security: an owner that is no superuser reads through its
                # owner_maintenance policy (pg_dump would otherwise refuse forced tables).
                _run([_pg_tool("pg_dump", major), "--format=custom", f"--snapshot={snapshot}",
                      "--enable-row-security", f"--file={target}", f"--dbname={dsn}"], env, "pg_dump")
                revision, tables = inventory(conn)
    finally:
        engine.dispose()
    return {"database": kind, "server_version": server, "schema_revision": revision, "tables": tables}


# -- making an archive ------------------------------------------------------------------------------

class _Hashing:
    """A file read by tarfile, hashed on the way."""

    def __init__(self, fh):
        self.fh, self.sha256, self.size = fh, hashlib.sha256(), 0

    def read(self, n=-1):
        data = self.fh.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _add(tar: tarfile.TarFile, path: Path, name: str, files: dict) -> None:
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return  # deleted while we walked: it is not part of the backup
    with fh:
        info = tar.gettarinfo(fileobj=fh, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o600
        reader = _Hashing(fh)
        tar.addfile(info, reader)
    files[name] = {"sha256": reader.sha256.hexdigest(), "bytes": reader.size}


def archives(directory: str | Path) -> list[Path]:
    """Complete archives in `directory`, newest first (the name sorts by time)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir() if ARCHIVE.match(p.name) and p.is_file()), reverse=True)


def create_backup(directory: str | Path, url: sa.engine.URL, upload_dir: str | Path,
                  now: datetime | None = None) -> tuple[Path, dict]:
    """Write one archive into `directory`; (its path, its manifest). Raises BackupError."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = directory / f"backup-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    if final.exists():
        raise BackupError(f"{final} exists already")
    for stale in directory.glob(".backup-*"):  # a dump left by a backup that was killed
        if stale.is_dir() and datetime.now().timestamp() - stale.stat().st_mtime > STALE_STAGING:
            shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".backup-", dir=directory))
    partial = staging / "archive.tar.gz.part"
    try:
        manifest = {"format": FORMAT, "created_at": now.isoformat().replace("+00:00", "Z"), **_dump(url, staging)}
        files: dict[str, dict] = {}
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                member = DATABASE_MEMBER[manifest["database"]]
                _add(tar, staging / member, member, files)
                uploads = Path(upload_dir)
                if uploads.is_dir():
                    for root, dirs, names in os.walk(uploads):
                        # never the archives themselves, should BACKUP_DIR lie under UPLOAD_DIR
                        dirs[:] = sorted(d for d in dirs if (Path(root) / d).resolve() != directory.resolve())
                        for filename in sorted(names):
                            path = Path(root) / filename
                            if path.is_symlink() or not path.is_file():
                                continue
                            _add(tar, path, "uploads/" + path.relative_to(uploads).as_posix(), files)
                manifest["files"] = files
                body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(body), 0o600, int(now.timestamp())
                tar.addfile(info, io.BytesIO(body))
            raw.flush()
            os.fsync(raw.fileno())
        try:
            os.link(partial, final)  # never replaces an archive of the same second
        except FileExistsError:
            raise BackupError(f"{final} exists already") from None
        except OSError:  # a file system without hard links
            if final.exists():
                raise BackupError(f"{final} exists already") from None
            os.replace(partial, final)
        _fsync_dir(directory)
        return final, manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rotate(directory: str | Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest complete archives; the deleted paths."""
    if keep < 1:
        raise BackupError("keep at least one archive")
    old = archives(directory)[keep:]
    for path in old:
        path.unlink(missing_ok=True)
    return old


# -- restoring --------------------------------------------------------------------------------------

def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def extract_verified(archive: str | Path, staging: Path) -> dict:
    """Unpack `archive` into `staging` checking every member against the manifest; the manifest.
    Raises BackupError (a damaged, altered or foreign archive) before the caller writes anything."""
    seen: dict[str, dict] = {}
    manifest = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for info in tar:
                if not info.isfile() or not _safe_name(info.name) or info.name in seen:
                    raise BackupError(f"refused: unexpected member {info.name!r} in {archive}; "
                                      "nothing was restored")
                source = tar.extractfile(info)
                if info.name == MANIFEST:
                    manifest = json.loads(source.read(16 * 1024 * 1024).decode("utf-8"))
                    seen[MANIFEST] = {}
                    continue
                target = staging / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[info.name] = {"sha256": digest.hexdigest(), "bytes": size}
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error, UnicodeDecodeError,
            json.JSONDecodeError) as exc:
        raise BackupError(f"refused: {archive} is damaged or not a backup archive ({exc}); "
                          "nothing was restored") from None
    except OSError as exc:
        raise BackupError(f"cannot unpack {archive} into {staging}: {exc}; nothing was restored") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"refused: {archive} has no manifest; nothing was restored")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"refused: archive format {manifest.get('format')!r}, this version reads {FORMAT}")
    seen.pop(MANIFEST)
    expected = manifest["files"]
    for name in sorted(set(expected) | set(seen)):
        if name not in seen:
            raise BackupError(f"refused: {name} is missing from {archive}; nothing was restored")
        if name not in expected:
            raise BackupError(f"refused: {name} in {archive} is not in its manifest; nothing was restored")
        if seen[name]["sha256"] != expected[name].get("sha256"):
            raise BackupError(f"refused: {name} in {archive} does not match its SHA-256 in the manifest "
                              "(damaged or altered); nothing was restored")
    if DATABASE_MEMBER.get(manifest.get("database")) not in seen:
        raise BackupError(f"refused: {archive} holds no database; nothing was restored")
    return manifest


def _has_files(directory: Path) -> bool:
    return directory.is_dir() and any(p.is_file() or p.is_symlink() for p in directory.rglob("*"))


def restore_backup(archive: str | Path, url: sa.engine.URL, upload_dir: str | Path) -> dict:
    """Restore `archive` into the empty database at `url` and the empty `upload_dir`; a summary.
    Raises BackupError, before writing anything when the archive or the target is wrong."""
    kind = _kind(url)
    uploads = Path(upload_dir)
    if not Path(archive).is_file():
        raise BackupError(f"no archive at {archive}")
    uploads.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=uploads.parent))
    try:
        manifest = extract_verified(archive, staging)
        if manifest["database"] != kind:
            raise BackupError(f"refused: the archive holds a {manifest['database']} database and the "
                              f"target is {kind}")
        if not is_empty(url):
            raise BackupError(f"refused: the database {url.render_as_string(hide_password=True)} is not "
                              "empty; restore only into a new, empty database")
        if _has_files(uploads):
            raise BackupError(f"refused: {uploads} holds files; restore only into an empty upload directory")
        source = staging / DATABASE_MEMBER[kind]
        if kind == "sqlite":
            import sqlite3

            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            copy, target = sqlite3.connect(source), sqlite3.connect(url.database)
            try:
                copy.backup(target)
            finally:
                copy.close()
                target.close()
        else:
            engine = _engine(url)
            try:
                with engine.connect() as conn:
                    major = conn.dialect.server_version_info[0]
            finally:
                engine.dispose()
            dsn, env = _libpq(url)
            # One transaction: a restore that fails leaves the database as empty as it was.
            _run([_pg_tool("pg_restore", major), "--no-owner", "--exit-on-error", "--single-transaction",
                  f"--dbname={dsn}", str(source)], env, "pg_restore")
        restored = 0
        staged = staging / "uploads"
        if staged.is_dir():
            for path in sorted(p for p in staged.rglob("*") if p.is_file()):
                target = uploads / path.relative_to(staged)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                restored += 1
        uploads.mkdir(parents=True, exist_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _check(url, manifest, restored)


def _check(url: sa.engine.URL, manifest: dict, files: int) -> dict:
    """Compare the restored database with the manifest; the summary, or BackupError."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            revision, tables = inventory(conn)
    finally:
        engine.dispose()
    if revision != manifest.get("schema_revision"):
        raise BackupError(f"restored, but the schema revision is {revision!r}, the archive says "
                          f"{manifest.get('schema_revision')!r}")
    expected = manifest["tables"]
    differ = sorted(name for name in set(expected) | set(tables) if expected.get(name) != tables.get(name))
    if differ:
        raise BackupError("restored, but these tables differ from the archive's manifest: " + ", ".join(differ))
    return {"database": manifest["database"], "created_at": manifest["created_at"], "schema_revision": revision,
            "tables": len(tables), "rows": sum(t["rows"] for t in tables.values()), "files": files}


# -- commands ---------------------------------------------------------------------------------------

@click.command("backup")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to write the archive (default: BACKUP_DIR, instance/backups).")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Then delete all but the N newest archives of that directory.")
@with_appcontext
def backup_command(directory, keep):
    """Back up the database and the uploaded files into one timestamped archive."""
    directory = directory or current_app.config["BACKUP_DIR"]
    try:
        path, manifest = create_backup(directory, database_url(), current_app.config["UPLOAD_DIR"])
        deleted = rotate(directory, keep) if keep else []
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"{path}")
    click.echo(f"  {manifest['database']} {manifest['server_version']}, schema {manifest['schema_revision']}, "
               f"{len(manifest['tables'])} tables, {rows} rows, "
               f"{sum(1 for n in manifest['files'] if n.startswith('uploads/'))} uploaded files")
    for old in deleted:
        click.echo(f"  deleted {old.name}")


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(archive, yes):
    """Restore ARCHIVE into the configured database, which must be empty, and UPLOAD_DIR."""
    url = database_url()
    where = url.render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"Restore {archive} into {where} and {current_app.config['UPLOAD_DIR']}?", abort=True)
    try:
        summary = restore_backup(archive, url, current_app.config["UPLOAD_DIR"])
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {archive} (made {summary['created_at']}) into {where}")
    click.echo(f"  schema {summary['schema_revision']}, {summary['tables']} tables, {summary['rows']} rows, "
               f"{summary['files']} uploaded files: row counts and checksums match the manifest")
    head = _head_revision()
    if head and head != summary["schema_revision"]:
        click.echo(f"  this code's schema is {head}: run `flask --app wsgi db upgrade` next")


def _head_revision() -> str | None:
    try:
        from alembic.script import ScriptDirectory

        return ScriptDirectory(current_app.extensions["migrate"].directory).get_current_head()
    except Exception:  # noqa: BLE001 — only a hint
        return None


# -- the nightly job --------------------------------------------------------------------------------

@job(queue="default", timeout=6 * 3600, retries=2, intervals=(600, 1800), permission="jobs.view")
def backup_job(ctx):
    """One archive, then all but the BACKUP_KEEP newest deleted (only after it completed). A
    failure fails the job with its reason (RQ's failed-job registry and the log), after two
    retries; the older archives stay."""
    config = current_app.config
    try:
        path, manifest = create_backup(config["BACKUP_DIR"], database_url(), config["UPLOAD_DIR"])
        deleted = rotate(config["BACKUP_DIR"], config["BACKUP_KEEP"])
    except (BackupError, OSError, sa.exc.SQLAlchemyError) as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        current_app.logger.error("backup failed: %s", reason)
        raise JobFailed(f"backup failed: {reason}") from exc
    current_app.logger.info("backup written: %s; %d old archives deleted", path, len(deleted))
    return {"archive": str(path), "deleted": [p.name for p in deleted]}


def nightly():
    """RQ job at BACKUP_SCHEDULE: tomorrow's run is queued first (a failed backup does not stop
    the schedule), then today's backup, as its own job with retries."""
    from .jobs.task import _app_context

    with _app_context():
        schedule_nightly()
        backup_job.enqueue_platform(job_id=f"backup-{datetime.now():%Y%m%d}-run")


def schedule_nightly(now: datetime | None = None) -> str:
    hour, minute = (int(part) for part in current_app.config["BACKUP_SCHEDULE"].split(":"))
    return schedule_daily(nightly, time(hour, minute), "backup", now)


def init_app(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    if app.config.get("BACKUP_SCHEDULE"):
        app.extensions.setdefault("worker_schedules", []).append(schedule_nightly)
