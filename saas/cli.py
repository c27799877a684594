"""`flask` commands other tools rely on: keep names and options stable."""

from __future__ import annotations

import secrets
import sys
import zipfile

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from .admin.services import AdminError, bureau_by_name, save_bureau, save_tenant
from .auth.models import BUREAU_ROLES, TENANT_ROLES, User
from .auth.services import AccountError, create_user, grant
from .extensions import db
from .tenancy import BUREAU_LEVELS, TENANT_KINDS, Tenant, tenant_scope
from tenants.schemes.standards import STANDARDS

bureaus = AppGroup("bureaus", help="Market supervision bureaus.")
tenants = AppGroup("tenants", help="Parks and associations.")
users = AppGroup("users", help="User accounts and their roles.")
demo = AppGroup("demo", help="Demo data.")


def _fail(message: str):
    db.session.rollback()
    raise click.ClickException(message)


def _bureau(name: str | None):
    if not name:
        return None
    bureau = bureau_by_name(name)
    if bureau is None:
        _fail(f"no bureau named {name!r}")
    return bureau


@bureaus.command("create")
@click.argument("name")
@click.option("--level", type=click.Choice(BUREAU_LEVELS), required=True)
@click.option("--parent", default=None, help="Name of the parent bureau.")
def bureaus_create(name, level, parent):
    try:
        bureau = save_bureau(None, name, level, _bureau(parent))
    except AdminError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"bureau {bureau.id}: {bureau.name} ({bureau.level})")


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(TENANT_KINDS), required=True)
@click.option("--bureau", default=None, help="Name of the supervising bureau.")
@click.option("--region", default="")
@click.option("--standard", type=click.Choice(tuple(STANDARDS)), default=None,
              help="Set of standards (default: the one of the bureau's region).")
def tenants_create(slug, name, kind, bureau, region, standard):
    try:
        tenant = save_tenant(None, slug=slug, name=name, kind=kind, region=region, bureau=_bureau(bureau),
                             standard=standard or "")
    except AdminError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"tenant {tenant.id}: {tenant.slug} — {tenant.name} (standards: {tenant.standard or 'all'})")


def _tenant(slug: str) -> Tenant:
    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) or _fail(f"no tenant {slug!r}")


@tenants.command("export")
@click.argument("slug")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The archive (.zip) to write.")
def tenants_export(slug, out):
    """Export one tenant (rows, files, audit log) as a single archive."""
    from .tenant_archive import export_tenant

    summary = export_tenant(_tenant(slug).id, out)
    click.echo(f"{slug}: {summary['rows']} rows of {summary['tables']} tables, {summary['files']} files -> {out}")


@tenants.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--slug", default=None, help="Short name of the new tenant (default: the archive's).")
def tenants_import(archive, slug):
    """Load a tenant archive as a new tenant: new ids, files copied, all or nothing."""
    from .tenant_archive import ArchiveError, import_tenant

    try:
        result = import_tenant(archive, slug)
    except (ArchiveError, zipfile.BadZipFile) as exc:
        _fail(str(exc))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"tenant {result.tenant.id}: {result.tenant.slug}: {result.rows} rows, {result.files} files, "
               f"{result.users_created} accounts created (without a password)")


@tenants.command("suspend")
@click.argument("slug")
def tenants_suspend(slug):
    """Suspend a tenant: no sign-in, data kept, purged after 30 days."""
    from .tenant_lifecycle import suspend

    tenant = _tenant(slug)
    if not suspend(tenant, None):
        _fail(f"{slug} is not active")
    db.session.commit()
    click.echo(f"{slug} suspended; purged after {tenant.purge_after:%Y-%m-%d}")


@tenants.command("restore")
@click.argument("slug")
def tenants_restore(slug):
    """Make a suspended tenant active again."""
    from .tenant_lifecycle import restore

    if not restore(_tenant(slug)):
        _fail(f"{slug} is not suspended")
    db.session.commit()
    click.echo(f"{slug} is active again")


@tenants.command("training-summary")
@click.option("--check", is_flag=True, help="Compare only; exit 1 if a tenant's kept rows differ.")
def tenants_training_summary(check):
    """Recompute (or --check) every tenant's kept summary rows from the rows they sum: the yearly
    training rows (member_training_year), the checklist counts (member_checklist), the visits
    per year (member_visit_year) and the member figures of this year (member_figures); after
    loading rows around the application, or to verify a database."""
    from tenants.kept_rows import differences_all, rebuild_all

    from .tenant_cache import note_written

    differing = 0
    for tenant_id, slug in db.session.execute(sa.select(Tenant.id, Tenant.slug).order_by(Tenant.id)).all():
        if not check:
            rebuild_all(tenant_id)
            # Figures cached from the rows replaced must go: the tenant's version moves at COMMIT.
            note_written(db.session, tenant_id)
            continue
        for kept, found in differences_all(tenant_id).items():
            differing += 1
            click.echo(f"{slug}: {len(found)} rows differ ({kept}), e.g. {found[0]}")
    db.session.commit()
    if check and differing:
        _fail(f"{differing} summaries of tenants differ from a computation from scratch")
    click.echo("checked: all tenants agree" if check else "recomputed")


@tenants.command("purge")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Confirm: delete every row and file of the tenant.")
def tenants_purge(slug, yes):
    """Delete a suspended tenant's rows and files for good (a platform record stays)."""
    from .tenant_lifecycle import LifecycleError, purge

    if not yes:
        _fail("purging cannot be undone: add --yes")
    try:
        record = purge(_tenant(slug), slug, None)
    except LifecycleError as exc:
        _fail(str(exc))
    click.echo(f"{slug} purged: {sum(v for k, v in record.row_counts.items() if k != 'files')} rows, "
               f"{record.row_counts.get('files', 0)} files")


@users.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--platform-admin", is_flag=True)
@click.option("--bureau", default=None)
@click.option("--bureau-role", type=click.Choice(BUREAU_ROLES), default=None)
def users_create(email, name, platform_admin, bureau, bureau_role):
    """Create a user. The password is read from stdin, or generated and printed."""
    password = None if sys.stdin is None or sys.stdin.isatty() else sys.stdin.readline().strip()
    generated = not password
    password = password or secrets.token_urlsafe(12)
    try:
        user = create_user(email, name, password, platform_admin=platform_admin,
                           bureau=_bureau(bureau), bureau_role=bureau_role)
    except AccountError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"user {user.id}: {user.email}")
    if generated:
        click.echo(f"password: {password}")


@users.command("grant")
@click.argument("email")
@click.option("--tenant", "slug", required=True)
@click.option("--role", type=click.Choice(TENANT_ROLES), required=True)
@click.option("--enterprise", "credit_code", default=None, help="Credit code of the member enterprise.")
def users_grant(email, slug, role, credit_code):
    user = User.by_email(email) or _fail(f"no user {email!r}")
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) or _fail(f"no tenant {slug!r}")
    enterprise_id = None
    if credit_code:
        from tenants.members.services import MemberError, by_credit_code, normalise_credit_code

        with tenant_scope(tenant.id):
            try:
                enterprise = by_credit_code(normalise_credit_code(credit_code))
            except MemberError as exc:
                _fail(str(exc))
            if enterprise is None:
                _fail(f"no member enterprise with credit code {credit_code} in {slug}")
            enterprise_id = enterprise.id
    try:
        grant(user, tenant, role, enterprise_id)
    except AccountError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"{user.email} is {role} in {tenant.slug}")


@demo.command("seed")
def demo_seed():
    """Create (or complete) the demo data; running it twice changes nothing."""
    from .demo import seed

    for line in seed():
        click.echo(line)


def register(app):
    from .serve import serve_command
    from .translations_cli import translations

    for group in (bureaus, tenants, users, demo):
        app.cli.add_command(group)
    app.cli.add_command(serve_command)
    app.cli.add_command(translations)
    from .backup import init_app as init_backups

    init_backups(app)  # `flask backup`, `flask restore`, and the worker's nightly backup
