"""Backups (saas/backup.py): the demo with uploaded files is backed up, restored into a FRESH
database of the suite's own kind (a new SQLite file, or a new PostgreSQL database created and
dropped here) and a fresh upload directory, and every table's rows and every file compared; a
damaged or altered archive and a non-empty target are refused with nothing written; the nightly
job keeps the N newest archives and fails, saying why, when it cannot back up."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import stat
import tarfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from werkzeug.datastructures import FileStorage

from saas import backup
from saas.extensions import db
from saas.tenancy import Tenant, tenant_scope

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, input=None: runner.invoke(args=list(args), input=input)


@pytest.fixture
def source_url(app):
    return backup.database_url(app)


@pytest.fixture
def fresh(app, tmp_path, source_url):
    """A new, empty database of the suite's kind (the restore target) and a new upload directory."""
    if source_url.get_backend_name() == "sqlite":
        yield source_url.set(database=str(tmp_path / "restored.db")), tmp_path / "restored-uploads"
        return
    name = f"bk_restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(source_url.set(database="postgres"), poolclass=NullPool,
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield source_url.set(database=name), tmp_path / "restored-uploads"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def seed(cli, app) -> list[str]:
    """The demo, plus uploaded files of two tenants (binary, Chinese names, nested folders)."""
    result = cli("demo", "seed")
    assert result.exit_code == 0, result.output
    from saas import files

    stored = []
    with app.app_context():
        tenants = db.session.scalars(sa.select(Tenant).order_by(Tenant.id)).all()[:2]
        for n, tenant in enumerate(tenants):
            with tenant_scope(tenant.id):
                for data, name in ((PDF + bytes([n]), "培训签到表.pdf"), (PNG + bytes([n]), "现场照片.png")):
                    stored.append(files.store(FileStorage(io.BytesIO(data), name), "training", 1, "signin")
                                  .stored_name)
                db.session.commit()
    return stored


def table_rows(url) -> dict[str, tuple[int, str]]:
    """Every table: (row count, SHA-256 of its rows ordered by primary key) — computed here,
    independently of saas.backup."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        out = {}
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                digest, count = hashlib.sha256(), 0
                for row in conn.execute(sa.select(table).order_by(*order)):
                    digest.update(repr(tuple(row)).encode() + b"\n")
                    count += 1
                out[table.name] = (count, digest.hexdigest())
        return out
    finally:
        engine.dispose()


def file_digests(root) -> dict[str, str]:
    root = Path(root)
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


def make_backup(cli, directory) -> Path:
    result = cli("backup", "--dir", str(directory))
    assert result.exit_code == 0, result.output
    return Path(result.output.splitlines()[0])


def members(archive) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def test_backup_of_the_demo_restores_into_a_fresh_database_row_for_row(app, cli, fresh, source_url, tmp_path,
                                                                        monkeypatch):
    stored = seed(cli, app)
    archive = make_backup(cli, tmp_path / "backups")
    before, files_before = table_rows(source_url), file_digests(app.config["UPLOAD_DIR"])
    assert sum(n for n, _ in before.values()) > 300 and before["attachment"][0] >= 4
    assert all(name in files_before for name in stored)

    target, uploads = fresh
    monkeypatch.setitem(app.config, "DATABASE_OWNER_URL", target.render_as_string(hide_password=False))
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(uploads))
    result = cli("restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert "row counts and checksums match the manifest" in result.output

    after = table_rows(target)
    assert set(after) == set(before) and len(after) > 40
    for name in before:
        assert after[name] == before[name], name  # same count, same rows in primary-key order
    assert file_digests(uploads) == files_before
    assert backup.is_empty(target) is False


def test_manifest_names_every_member_with_its_checksum_and_every_table(app, cli, source_url, tmp_path):
    seed(cli, app)
    started = datetime.now(timezone.utc).replace(microsecond=0)
    directory = tmp_path / "backups"
    archive = make_backup(cli, directory)

    assert re.fullmatch(r"backup-\d{8}T\d{6}Z\.tar\.gz", archive.name) and archive.parent == directory
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert os.listdir(directory) == [archive.name]  # no temporary file left behind
    content = members(archive)
    manifest = json.loads(content.pop("manifest.json"))
    kind = source_url.get_backend_name()
    assert manifest["format"] == 1 and manifest["database"] == kind
    created = datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00"))
    assert started <= created <= datetime.now(timezone.utc)
    assert archive.name == f"backup-{created:%Y%m%dT%H%M%SZ}.tar.gz"
    with app.app_context():
        revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert manifest["schema_revision"] == revision and revision
    assert {name: t["rows"] for name, t in manifest["tables"].items()} == \
        {name: n for name, (n, _) in table_rows(source_url).items()}
    assert set(manifest["files"]) == set(content)
    for name, data in content.items():
        assert manifest["files"][name] == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert {"database.dump" if kind == "postgresql" else "database.sqlite3"} < set(content)
    uploads = {n[len("uploads/"):] for n in content if n.startswith("uploads/")}
    assert uploads == set(file_digests(app.config["UPLOAD_DIR"]))
    if kind == "postgresql":
        assert content["database.dump"].startswith(b"PGDMP")  # pg_dump's custom format
    else:
        assert content["database.sqlite3"].startswith(b"SQLite format 3\x00")


def _rewrite(archive: Path, change) -> None:
    """Rebuild `archive` (a valid gzip and tar) with `change(name, data)` applied to each member."""
    content = members(archive)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in content.items():
            data = change(name, data)
            if data is None:
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _untouched(target, uploads):
    assert backup.is_empty(target)
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_a_damaged_or_altered_archive_is_refused_before_anything_is_written(app, cli, fresh, tmp_path,
                                                                           monkeypatch):
    seed(cli, app)
    good = make_backup(cli, tmp_path / "backups")
    target, uploads = fresh
    monkeypatch.setitem(app.config, "DATABASE_OWNER_URL", target.render_as_string(hide_password=False))
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(uploads))

    damaged = tmp_path / "damaged.tar.gz"
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the compressed stream
    damaged.write_bytes(bytes(data))
    result = cli("restore", str(damaged), "--yes")
    assert result.exit_code == 1 and "damaged" in result.output and "nothing was restored" in result.output
    _untouched(target, uploads)

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: len(data) // 3])
    result = cli("restore", str(truncated), "--yes")
    assert result.exit_code == 1 and "damaged" in result.output
    _untouched(target, uploads)

    altered = tmp_path / "altered.tar.gz"
    altered.write_bytes(good.read_bytes())
    upload = next(n for n in members(good) if n.startswith("uploads/"))
    _rewrite(altered, lambda name, data: data + b"x" if name == upload else data)
    result = cli("restore", str(altered), "--yes")
    assert result.exit_code == 1
    assert f"{upload} in {altered} does not match its SHA-256" in result.output
    _untouched(target, uploads)

    missing = tmp_path / "missing.tar.gz"
    missing.write_bytes(good.read_bytes())
    _rewrite(missing, lambda name, data: None if name == upload else data)
    result = cli("restore", str(missing), "--yes")
    assert result.exit_code == 1 and f"{upload} is missing" in result.output
    _untouched(target, uploads)

    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    result = cli("restore", str(foreign), "--yes")
    assert result.exit_code == 1 and "unexpected member" in result.output
    assert not (uploads.parent / "escape.txt").exists()
    _untouched(target, uploads)

    assert gzip.decompress(good.read_bytes())  # the good one still restores
    assert cli("restore", str(good), "--yes").exit_code == 0


def test_a_database_or_upload_directory_that_is_not_empty_is_refused(app, cli, fresh, source_url, tmp_path,
                                                                      monkeypatch):
    seed(cli, app)
    archive = make_backup(cli, tmp_path / "backups")
    before = table_rows(source_url)

    # Into the live database itself: refused, nothing changed.
    result = cli("restore", str(archive), "--yes")
    assert result.exit_code == 1 and "is not empty" in result.output and "new, empty database" in result.output
    assert table_rows(source_url) == before

    # An empty database but an upload directory holding a file: refused too.
    target, uploads = fresh
    (uploads / "1").mkdir(parents=True)
    (uploads / "1" / "old.pdf").write_bytes(PDF)
    monkeypatch.setitem(app.config, "DATABASE_OWNER_URL", target.render_as_string(hide_password=False))
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(uploads))
    result = cli("restore", str(archive), "--yes")
    assert result.exit_code == 1 and "holds files" in result.output
    assert backup.is_empty(target) and file_digests(uploads) == {"1/old.pdf": hashlib.sha256(PDF).hexdigest()}

    # Without --yes it asks first; "no" writes nothing.
    (uploads / "1" / "old.pdf").unlink()
    result = cli("restore", str(archive), input="n\n")
    assert result.exit_code == 1 and "Restore" in result.output
    _untouched(target, uploads)


def test_nightly_job_keeps_the_newest_n_and_deletes_only_after_a_new_archive(app, ctx, tmp_path, monkeypatch):
    directory = tmp_path / "backups"
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(directory))
    monkeypatch.setitem(app.config, "BACKUP_KEEP", 2)
    start = datetime(2026, 1, 1, 2, 30, tzinfo=timezone.utc)
    old = [backup.create_backup(directory, backup.database_url(), app.config["UPLOAD_DIR"],
                                now=start + timedelta(days=d))[0] for d in range(3)]
    assert [p.name for p in old] == ["backup-20260101T023000Z.tar.gz", "backup-20260102T023000Z.tar.gz",
                                     "backup-20260103T023000Z.tar.gz"]
    (directory / "notes.txt").write_text("not an archive")
    (directory / "backup-20250101T000000Z.tar.gz.part").write_text("half")

    result = backup.backup_job(None)
    kept = backup.archives(directory)
    assert len(kept) == 2 and kept[0].name == Path(result["archive"]).name and kept[1] == old[2]
    assert sorted(result["deleted"]) == [old[0].name, old[1].name]
    assert (directory / "notes.txt").exists() and (directory / "backup-20250101T000000Z.tar.gz.part").exists()

    # A backup that cannot be made fails the job with the reason, and deletes nothing.
    monkeypatch.setitem(app.config, "BACKUP_KEEP", 1)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the directory should be")
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(blocked))
    from saas.jobs import JobFailed
    from saas.jobs.task import run_platform

    with pytest.raises(JobFailed, match="backup failed"):
        run_platform(backup.backup_job.name, [])  # what RQ runs: raised, so RQ records a failed job
    assert backup.archives(directory) == kept


def test_a_failed_database_dump_says_why(app, ctx, tmp_path, monkeypatch, source_url):
    if source_url.get_backend_name() == "sqlite":
        broken = source_url.set(database=str(tmp_path / "nowhere" / "missing.db"))
        reason = "no database at"
    else:
        broken = source_url.set(database=f"bk_missing_{uuid.uuid4().hex[:8]}")
        reason = "does not exist"
    monkeypatch.setitem(app.config, "DATABASE_OWNER_URL", broken.render_as_string(hide_password=False))
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    from saas.jobs import JobFailed

    with pytest.raises(JobFailed, match=reason):
        backup.backup_job(None)
    assert backup.archives(tmp_path / "backups") == [] and os.listdir(tmp_path / "backups") == []


def test_the_worker_schedules_the_nightly_backup_only_where_configured(app, ctx, monkeypatch):
    from saas.jobs import queues

    assert backup.schedule_nightly not in app.extensions["worker_schedules"]  # BACKUP_SCHEDULE unset
    monkeypatch.setitem(app.config, "BACKUP_SCHEDULE", "01:45")
    evening = datetime(2026, 3, 1, 23, 0)
    assert backup.schedule_nightly(evening) == backup.schedule_nightly(evening) == "backup-20260302"
    queue = queues.queue("default")
    job = queue.fetch_job("backup-20260302")
    assert job.func_name == "saas.backup.nightly"
    assert queue.scheduled_job_registry.get_scheduled_time(job).replace(tzinfo=None) == datetime(2026, 3, 2, 1, 45)

    backup.nightly()  # tomorrow's run first, then today's backup as its own job with retries
    today = datetime.now()
    assert queue.fetch_job(f"backup-{today:%Y%m%d}-run") is not None
    assert {f"backup-{today + timedelta(days=d):%Y%m%d}" for d in (0, 1)} & set(
        queue.scheduled_job_registry.get_job_ids())


def test_backup_settings_are_validated():
    from saas.config import ConfigError, validate

    base = {"APP_ENV": "testing", "SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db",
            "PUBLIC_URL": "http://localhost", "MAX_CONTENT_LENGTH": 1}
    validate({**base, "BACKUP_SCHEDULE": "02:30", "BACKUP_KEEP": 7})
    for bad in ({"BACKUP_SCHEDULE": "25:00"}, {"BACKUP_SCHEDULE": "nightly"}, {"BACKUP_KEEP": 0}):
        with pytest.raises(ConfigError, match="BACKUP_"):
            validate({**base, **bad})
