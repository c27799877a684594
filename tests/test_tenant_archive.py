"""Tenant export, import and deletion (issue 24): saas/tenant_archive.py, saas/tenant_lifecycle.py.

The round trip compares every tenant-owned table (read from the metadata, as the code does)
column by column after mapping ids, with a mapping the test derives itself (rows in source-id
order against rows in new-id order), not the one the import reports.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from saas.auth.models import Membership, User
from saas.extensions import db
from saas.files import Attachment
from saas.jobs import JobRecord
from saas.tenancy import Tenant, _scoped_tables, cross_tenant_reads, tenant_scope, utcnow
from saas.tenant_archive import (ARCHIVE_DIR, OWNER_TABLES, ArchiveError, export_tenant, exported_tables,
                                 import_tenant)
from saas.tenant_lifecycle import LifecycleError, PurgedTenant, purge, purge_due, restore, suspend, upload_folder

from .conftest import login

PDF = b"%PDF-1.4\n% test\n" + bytes(range(256))


def _file(tenant_id: int, name: str, data: bytes) -> str:
    relative = f"{tenant_id}/files/{name}"
    path = upload_folder(tenant_id) / "files" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return relative


def _fill(make, tenant, tag: str) -> dict:
    """A tenant with rows in most tables: people, an enterprise, the feature rows, files, a job."""
    make.user(f"admin-{tag}@example.com", tenant=tenant, role="admin")
    make.user(f"staff-{tag}@example.com", tenant=tenant, role="staff")
    instructor = make.user(f"ins-{tag}@example.com", tenant=tenant, role="instructor")
    enterprise_id = make.enterprise(tenant, name=f"{tag}精密机械有限公司")
    from saas.auth.services import grant

    grant(make.user(f"ent-{tag}@example.com"), tenant, "enterprise", enterprise_id)
    db.session.commit()
    instructor_id = instructor.id
    with tenant_scope(tenant.id):
        ids = make.feature_rows(enterprise_id, instructor_id)
        stored = _file(tenant.id, f"{tag}.pdf", PDF + tag.encode())
        photo = _file(tenant.id, f"{tag}-visit.pdf", PDF + b"visit" + tag.encode())
        db.session.add_all([
            Attachment(owner_type="enterprise", owner_id=enterprise_id, label="制度", filename="保密制度.pdf",
                       stored_name=stored, content_type="application/pdf", size=len(PDF) + len(tag),
                       sha256="0", uploaded_by_id=instructor_id),
            Attachment(owner_type="visit", owner_id=ids["visit_id"], filename="现场.pdf", stored_name=photo,
                       content_type="application/pdf", size=1, sha256="0"),
            JobRecord(task="tenants.settings.tasks:export_users", key=f"k-{tag}", permission="users.manage",
                      status="done", result={"file": stored, "filename": "x.xlsx"}, created_by_id=instructor_id),
        ])
        db.session.commit()
    return {"enterprise_id": enterprise_id, **ids}


@pytest.fixture(autouse=True)
def _no_files(app):
    """The upload folder outlives each test: start without the files of earlier ones."""
    import shutil

    shutil.rmtree(app.config["UPLOAD_DIR"], ignore_errors=True)


@pytest.fixture
def two(app, make):
    bureau = make.bureau("甲区市场监督管理局")
    a = make.tenant(slug="base-a", name="甲园区", bureau=bureau)
    b = make.tenant(slug="base-b", name="乙协会", kind="association")
    make.user("root@example.com", platform_admin=True)
    _fill(make, a, "a")
    _fill(make, b, "b")
    return a.id, b.id


def snapshot(tenant_id: int) -> dict[str, list[dict]]:
    """Every tenant-owned table's rows of one tenant, in id order."""
    out = {}
    with tenant_scope(tenant_id):
        for table in exported_tables():
            rows = db.session.execute(sa.select(table).where(table.c.tenant_id == tenant_id)
                                      .order_by(*table.primary_key.columns)).mappings().all()
            out[table.name] = [dict(r) for r in rows]
    return out


def folder_files(tenant_id: int) -> dict[str, str]:
    folder = upload_folder(tenant_id)
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file() and not p.relative_to(folder).as_posix().startswith(ARCHIVE_DIR)}


def row_counts() -> dict[str, int]:
    with cross_tenant_reads("the test counts every table"):
        return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in db.metadata.sorted_tables}


def assert_same_tenant(old_id: int, new_id: int) -> None:
    """The new tenant holds the old one's rows, column by column, every id mapped."""
    before, after = snapshot(old_id), snapshot(new_id)
    ids: dict[str, dict] = {"tenant": {old_id: new_id}}
    for name in before:
        assert len(before[name]) == len(after[name]), name
        ids[name] = {o["id"]: n["id"] for o, n in zip(before[name], after[name])}
    emails = dict(db.session.execute(sa.select(User.id, User.email)).all())
    files = {f"{old_id}/{name}" for name in folder_files(old_id)}

    def moved(value):
        if isinstance(value, str) and value in files:
            return f"{new_id}/" + value.split("/", 1)[1]
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value

    classes = {m.class_.__name__: m.local_table.name for m in db.Model.registry.mappers}
    checked = 0
    for table in exported_tables():
        for old, new in zip(before[table.name], after[table.name]):
            for column in table.c:
                a, b = old[column.name], new[column.name]
                fk = next(iter(column.foreign_keys), None)
                if column.name == "id":
                    continue
                if a is None:
                    assert b is None, (table.name, column.name)
                elif fk is not None and fk.column.table.name == "user":
                    assert emails[a] == emails[b], (table.name, column.name)
                elif fk is not None and fk.column.table.name == "bureau":
                    assert a == b, (table.name, column.name)
                elif fk is not None and fk.column.table.name in ids:
                    assert ids[fk.column.table.name][a] == b, (table.name, column.name)
                elif fk is not None:  # a platform row of this installation: not carried
                    assert b is None, (table.name, column.name)
                elif (table.name, column.name) == ("attachment", "owner_id"):
                    owner = OWNER_TABLES.get(old["owner_type"], old["owner_type"])
                    assert ids[owner][a] == b
                elif (table.name, column.name) == ("audit_event", "object_id"):
                    target = ids[classes[old["object_type"]]]
                    assert (target[a] if a in target else -a) == b
                else:  # stored file paths (also inside JSON) move to the new tenant's folder
                    assert moved(a) == b, (table.name, column.name, a, b)
                checked += 1
    assert checked > 200
    # The files, by SHA-256.
    assert folder_files(new_id) == folder_files(old_id) != {}


def test_every_tenant_scoped_table_is_exported(app, ctx):
    assert set(exported_tables()) == set(_scoped_tables())
    assert {"audit_event", "attachment", "membership", "enterprise"} <= {t.name for t in exported_tables()}


def test_round_trip(app, make, two, tmp_path):
    a, b = two
    out = tmp_path / "a.zip"
    b_before, b_files = snapshot(b), folder_files(b)
    summary = export_tenant(a, out)
    assert summary["files"] == 2 and summary["rows"] > 20
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        users = json.loads(archive.read("users.json"))
        assert {f"tables/{t.name}.json" for t in exported_tables()} <= names
        assert {"tables.xlsx", "tenant.json", "users.json", "files/files/a.pdf"} <= names
        assert manifest["tables"]["audit_event"]["rows"] > 0
        for name, digest in manifest["checksums"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        # Nothing of B, and no secrets.
        everything = b"".join(archive.read(n) for n in names)
        assert b"b@example.com" not in everything and "乙".encode() not in everything
        assert b"password" not in b"".join(archive.read(n) for n in names if n.endswith(".json"))
        assert {u["email"] for u in users} >= {"admin-a@example.com", "ins-a@example.com"}
        assert all(set(u) == {"id", "email", "name", "locale"} for u in users)
        sheets = zipfile.ZipFile(io.BytesIO(archive.read("tables.xlsx"))).namelist()
        assert len([s for s in sheets if s.startswith("xl/worksheets/sheet")]) == len(exported_tables())

    accounts = db.session.scalar(sa.select(sa.func.count(User.id)))
    result = import_tenant(out, slug="base-a-copy")
    db.session.expire_all()
    copy = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "base-a-copy"))
    assert result.tenant.id == copy.id != a
    assert copy.name == "甲园区" and copy.bureau_id == db.session.get(Tenant, a).bureau_id and copy.active
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == accounts  # matched by e-mail
    assert_same_tenant(a, copy.id)
    # B untouched.
    assert snapshot(b) == b_before and folder_files(b) == b_files


def test_import_elsewhere_creates_accounts_without_password(app, make, two, tmp_path):
    a, _ = two
    out = tmp_path / "a.zip"
    export_tenant(a, out)
    # Another installation: the accounts are not there yet (gone here, so matched by nobody).
    for email in ("staff-a@example.com", "ent-a@example.com"):
        user = User.by_email(email)
        user.email = email.replace("@", "-old@")
    db.session.commit()
    result = import_tenant(out, slug="moved")
    assert result.users_created == 2
    staff = User.by_email("staff-a@example.com")
    assert staff.password_hash is None and staff.active
    with tenant_scope(result.tenant.id):
        assert db.session.scalar(sa.select(Membership.role).where(Membership.user_id == staff.id)) == "staff"


def test_import_refuses_a_taken_slug_and_leaves_nothing(app, make, two, tmp_path):
    a, b = two
    out = tmp_path / "a.zip"
    export_tenant(a, out)
    counts = row_counts()
    with pytest.raises(ArchiveError):
        import_tenant(out)  # base-a exists
    with pytest.raises(ArchiveError):
        import_tenant(out, slug="base-b")
    assert row_counts() == counts


def test_failed_import_leaves_nothing(app, make, two, tmp_path, monkeypatch):
    """A failure half-way (after rows and some files are written) rolls everything back."""
    a, _ = two
    out = tmp_path / "a.zip"
    export_tenant(a, out)
    counts = row_counts()
    upload_root = Path(app.config["UPLOAD_DIR"])
    before = sorted(p for p in upload_root.rglob("*"))
    from saas import tenant_archive

    real = tenant_archive.sha256_file
    calls = []

    def failing(path):
        calls.append(path)
        if len(calls) == 2:  # the second file copied
            raise OSError("disk full")
        return real(path)

    monkeypatch.setattr(tenant_archive, "sha256_file", failing)
    with pytest.raises(OSError):
        import_tenant(out, slug="half")
    assert row_counts() == counts
    assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == "half")) is None
    assert sorted(p for p in upload_root.rglob("*")) == before


def test_damaged_archive_is_refused(app, make, two, tmp_path):
    a, _ = two
    out, bad = tmp_path / "a.zip", tmp_path / "bad.zip"
    export_tenant(a, out)
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "tables/enterprise.json":
                data = data.replace("精密".encode(), "粗糙".encode())
            dst.writestr(item, data)
    counts = row_counts()
    with pytest.raises(ArchiveError, match="校验值不符"):  # "does not match its checksum"
        import_tenant(bad, slug="bad")
    assert row_counts() == counts


def test_suspend_blocks_sign_in_and_is_reversible(app, make, two, client):
    a, b = two
    admin_a = login(app.test_client(), "admin-a@example.com")
    assert admin_a.get("/t/base-a/").status_code == 200
    tenant = db.session.get(Tenant, a)
    assert suspend(tenant, None) and not suspend(tenant, None)  # the second does nothing
    db.session.commit()
    assert tenant.status == "suspended" and tenant.purge_after - tenant.suspended_at == timedelta(days=30)
    assert admin_a.get("/t/base-a/").status_code == 404
    fresh = login(app.test_client(), "admin-a@example.com")  # signing in again does not help
    assert fresh.get("/t/base-a/").status_code == 404
    assert "甲园区" not in fresh.get("/tenants").get_data(as_text=True)
    assert login(app.test_client(), "admin-b@example.com").get("/t/base-b/").status_code == 200
    assert restore(tenant) and not restore(tenant)
    db.session.commit()
    assert tenant.suspended_at is None and tenant.purge_after is None
    assert admin_a.get("/t/base-a/").status_code == 200


def test_purge(app, make, two):
    a, b = two
    b_before, b_files = snapshot(b), folder_files(b)
    tenant = db.session.get(Tenant, a)
    root = User.by_email("root@example.com")
    with pytest.raises(LifecycleError):
        purge(tenant, "base-a", root.id)  # active
    suspend(tenant, root.id)
    db.session.commit()
    with pytest.raises(LifecycleError):
        purge(tenant, "base-b", root.id)  # wrong slug typed
    assert db.session.get(Tenant, a) is not None
    record = purge(tenant, "base-a", root.id)
    db.session.expire_all()
    assert db.session.get(Tenant, a) is None
    with cross_tenant_reads("the test looks for the purged tenant's rows everywhere"):
        for table in db.metadata.sorted_tables:
            if "tenant_id" in table.c:
                assert db.session.execute(sa.select(sa.func.count()).select_from(table)
                                          .where(table.c.tenant_id == a)).scalar() == 0, table.name
    assert not upload_folder(a).exists()
    saved = db.session.get(PurgedTenant, record.id)
    assert (saved.slug, saved.name, saved.purged_by_id) == ("base-a", "甲园区", root.id)
    assert saved.row_counts["membership"] == 4 and saved.row_counts["files"] == 2
    assert "admin-a@example.com" not in json.dumps(saved.row_counts)
    # The accounts stay (they may belong elsewhere); B untouched.
    assert User.by_email("admin-a@example.com") is not None
    assert snapshot(b) == b_before and folder_files(b) == b_files
    # The slug is free again.
    assert make.tenant(slug="base-a").id


def test_nightly_purge_takes_only_what_is_due(app, make, two):
    a, b = two
    suspend(db.session.get(Tenant, a), None)
    suspend(db.session.get(Tenant, b), None)
    db.session.get(Tenant, a).purge_after = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert purge_due() == ["base-a"]
    db.session.expire_all()
    assert db.session.get(Tenant, a) is None and db.session.get(Tenant, b).status == "suspended"


# Pages ------------------------------------------------------------------------------------

def test_admin_pages(app, make, two):
    a, b = two
    root = login(app.test_client(), "root@example.com")
    page = root.get(f"/admin/tenants/{a}/lifecycle")
    assert page.status_code == 200
    assert root.get(f"/admin/tenants/{a}/purge").status_code == 302  # active: not offered
    assert root.get(f"/admin/tenants/{a}/suspend").status_code == 200  # the confirmation page
    assert root.post(f"/admin/tenants/{a}/suspend").status_code == 302
    assert root.post(f"/admin/tenants/{a}/suspend").status_code == 302  # double submit: nothing more
    db.session.expire_all()
    assert db.session.get(Tenant, a).status == "suspended"
    assert root.get(f"/admin/tenants/{a}/restore").status_code == 200
    assert root.post(f"/admin/tenants/{a}/restore").status_code == 302
    db.session.expire_all()
    assert db.session.get(Tenant, a).active
    root.post(f"/admin/tenants/{a}/suspend")
    assert root.get(f"/admin/tenants/{a}/purge").status_code == 200
    wrong = root.post(f"/admin/tenants/{a}/purge", data={"slug": "base-b"})
    assert wrong.status_code == 200
    db.session.expire_all()
    assert db.session.get(Tenant, a) is not None
    assert root.post(f"/admin/tenants/{a}/purge", data={"slug": "base-a"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Tenant, a) is None
    assert "base-a" in root.get("/admin/purged").get_data(as_text=True)
    assert root.get(f"/admin/tenants/{a}/lifecycle").status_code == 404


def test_admin_pages_are_for_platform_admins_only(app, make, two):
    a, _ = two
    admin_a = login(app.test_client(), "admin-a@example.com")
    for url in (f"/admin/tenants/{a}/lifecycle", f"/admin/tenants/{a}/suspend", f"/admin/tenants/{a}/purge",
                "/admin/purged", "/admin/tenants/import"):
        assert admin_a.get(url).status_code == 403, url
    assert admin_a.post(f"/admin/tenants/{a}/suspend").status_code == 403
    db.session.expire_all()
    assert db.session.get(Tenant, a).active


def _run_jobs():
    from rq import SimpleWorker

    from saas.jobs import queues

    queue = queues.queue("default")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    db.session.expire_all()


def test_admin_export_and_import_pages(app, make, two, tmp_path):
    a, b = two
    root = login(app.test_client(), "root@example.com")
    response = root.post(f"/admin/tenants/{a}/export")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert root.get(job_url).status_code == 200
    _run_jobs()
    page = root.get(job_url)
    assert page.status_code == 200
    download = root.get(job_url + "/download")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert json.loads(archive.read("manifest.json"))["tenant"]["slug"] == "base-a"
    # B's export is not reachable through A's address.
    with tenant_scope(b):
        other = JobRecord(task="saas.tenant_archive:export_archive", key="x", permission="tenant.export",
                          status="done", result={"file": f"{b}/files/b.pdf", "filename": "b.zip"})
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert root.get(f"/admin/tenants/{a}/exports/{other_id}/download").status_code == 404
    # Import it back under a new slug through the page.
    form = {"archive": (io.BytesIO(download.data), "a.zip"), "slug": "base-a-2"}
    imported = root.post("/admin/tenants/import", data=form, content_type="multipart/form-data")
    assert imported.status_code == 302
    copy = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "base-a-2"))
    assert copy is not None
    taken = root.post("/admin/tenants/import", data={"archive": (io.BytesIO(download.data), "a.zip"),
                                                     "slug": "base-b"}, content_type="multipart/form-data")
    assert taken.status_code == 200


def test_tenant_admin_exports_own_tenant_only(app, make, two):
    a, b = two
    admin_a = login(app.test_client(), "admin-a@example.com")
    assert "/t/base-a/settings/export" in admin_a.get("/t/base-a/settings/").get_data(as_text=True)
    assert admin_a.post("/t/base-b/settings/export").status_code == 404
    response = admin_a.post("/t/base-a/settings/export")
    assert response.status_code == 302 and "/t/base-a/jobs/" in response.headers["Location"]
    _run_jobs()
    download = admin_a.get(response.headers["Location"] + "/download")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["tenant"]["slug"] == "base-a"
        assert "乙".encode() not in b"".join(archive.read(n) for n in archive.namelist())
    # Staff may not export; nor may anyone else's role.
    for email in ("staff-a@example.com", "ins-a@example.com", "ent-a@example.com"):
        assert login(app.test_client(), email).post("/t/base-a/settings/export").status_code == 403, email
    # Another tenant's admin reaches nothing of A.
    admin_b = login(app.test_client(), "admin-b@example.com")
    assert admin_b.post("/t/base-a/settings/export").status_code == 404
    assert admin_b.get(response.headers["Location"].replace("base-a", "base-b") + "/download").status_code == 404


def test_cli(app, make, two, tmp_path):
    a, b = two
    runner = app.test_cli_runner()
    out = tmp_path / "cli.zip"
    result = runner.invoke(args=["tenants", "export", "base-a", "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["tenants", "import", str(out)])
    assert result.exit_code != 0 and "已被使用" in result.output  # the slug is taken
    result = runner.invoke(args=["tenants", "import", str(out), "--slug", "from-cli"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    copy = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "from-cli"))
    assert_same_tenant(a, copy.id)
    assert runner.invoke(args=["tenants", "purge", "from-cli", "--yes"]).exit_code != 0  # active
    assert runner.invoke(args=["tenants", "suspend", "from-cli"]).exit_code == 0
    assert runner.invoke(args=["tenants", "purge", "from-cli"]).exit_code != 0  # no --yes
    result = runner.invoke(args=["tenants", "purge", "from-cli", "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == "from-cli")) is None


def test_status_set_in_the_tenant_form_keeps_the_dates(app, make, two):
    from saas.admin.services import save_tenant

    tenant = db.session.get(Tenant, two[0])
    save_tenant(tenant, slug=tenant.slug, name=tenant.name, kind=tenant.kind, status="suspended")
    db.session.commit()
    assert tenant.suspended_at is not None and tenant.purge_after == tenant.suspended_at + timedelta(days=30)
    save_tenant(tenant, slug=tenant.slug, name=tenant.name, kind=tenant.kind, status="active")
    db.session.commit()
    assert tenant.suspended_at is None and tenant.purge_after is None
