"""Moving and deleting a tenant (/admin/tenants/<id>/lifecycle…): export as an archive, import
one, suspend, restore, purge (saas/tenant_archive.py, saas/tenant_lifecycle.py). Platform admins
only (the blueprint's before_request)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.models import User
from ..extensions import db
from ..files import stored_path
from ..jobs import JobRecord, QueueUnavailable
from ..jobs.task import reconcile
from ..pagination import paginate
from ..tenancy import Tenant, tenant_scope
from ..tenant_archive import ArchiveError, export_archive, import_upload
from ..tenant_lifecycle import LifecycleError, PurgedTenant, purge, restore, suspend
from .forms import ConfirmForm, ImportArchiveForm, PurgeForm
from .views import bp


def _exports(tenant_id: int, limit: int = 5) -> list[JobRecord]:
    with tenant_scope(tenant_id):
        return list(db.session.scalars(sa.select(JobRecord).where(JobRecord.task == export_archive.name)
                                       .order_by(JobRecord.id.desc()).limit(limit)))


@bp.route("/tenants/<int:tenant_id>/lifecycle")
def lifecycle(tenant_id):
    tenant = db.get_or_404(Tenant, tenant_id)
    suspended_by = db.session.get(User, tenant.suspended_by_id) if tenant.suspended_by_id else None
    return render_template("admin/lifecycle.html", tenant=tenant, suspended_by=suspended_by,
                           exports=_exports(tenant.id), form=ConfirmForm())


@bp.route("/tenants/<int:tenant_id>/suspend", methods=["GET", "POST"])
def suspend_tenant(tenant_id):
    tenant = db.get_or_404(Tenant, tenant_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if suspend(tenant, current_user.id):
            db.session.commit()
            flash(_("%(name)s is suspended. Nobody can open it now; its data is kept until %(date)s.",
                    name=tenant.name, date=f"{tenant.purge_after:%Y-%m-%d}"), "success")
        else:
            flash(_("%(name)s was already suspended.", name=tenant.name), "info")
        return redirect(url_for("admin.lifecycle", tenant_id=tenant.id))
    if not tenant.active:
        flash(_("%(name)s was already suspended.", name=tenant.name), "info")
        return redirect(url_for("admin.lifecycle", tenant_id=tenant.id))
    return render_template("admin/lifecycle_confirm.html", tenant=tenant, form=form, danger=True,
                           question=_("Suspend %(name)s? Its users can no longer open it; its data is kept "
                                      "for 30 days, then it may be purged. You can restore it until then.",
                                      name=tenant.name))


@bp.route("/tenants/<int:tenant_id>/restore", methods=["GET", "POST"])
def restore_tenant(tenant_id):
    tenant = db.get_or_404(Tenant, tenant_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if restore(tenant):
            db.session.commit()
            flash(_("%(name)s is active again.", name=tenant.name), "success")
        else:
            flash(_("%(name)s is not suspended.", name=tenant.name), "info")
        return redirect(url_for("admin.lifecycle", tenant_id=tenant.id))
    if tenant.active:
        flash(_("%(name)s is not suspended.", name=tenant.name), "info")
        return redirect(url_for("admin.lifecycle", tenant_id=tenant.id))
    return render_template("admin/lifecycle_confirm.html", tenant=tenant, form=form, danger=False,
                           question=_("Restore %(name)s? Its users can open it again at once.", name=tenant.name))


@bp.route("/tenants/<int:tenant_id>/purge", methods=["GET", "POST"])
def purge_tenant(tenant_id):
    tenant = db.get_or_404(Tenant, tenant_id)
    if tenant.active:
        flash(_("Only a suspended tenant can be purged. Suspend it first."), "warning")
        return redirect(url_for("admin.lifecycle", tenant_id=tenant.id))
    form = PurgeForm()
    if form.validate_on_submit():
        name = tenant.name
        try:
            purge(tenant, form.slug.data, current_user.id)
        except LifecycleError as exc:
            db.session.rollback()
            form.slug.errors.append(str(exc))
        else:
            flash(_("%(name)s is purged: its rows and files are gone.", name=name), "success")
            return redirect(url_for("admin.purged"))
    return render_template("admin/purge.html", tenant=tenant, form=form)


@bp.route("/tenants/<int:tenant_id>/export", methods=["POST"])
def export_tenant(tenant_id):
    tenant = db.get_or_404(Tenant, tenant_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form was not valid; nothing changed."), "danger")
        return redirect(url_for("admin.lifecycle", tenant_id=tenant.id))
    try:
        with tenant_scope(tenant.id):
            record = export_archive.enqueue(key=f"tenant-archive:{tenant.id}", user_id=current_user.id)
            record_id = record.id
    except QueueUnavailable:
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return redirect(url_for("admin.lifecycle", tenant_id=tenant.id))
    return redirect(url_for("admin.tenant_export", tenant_id=tenant.id, job_id=record_id))


def _export_record(tenant: Tenant, job_id: int) -> JobRecord:
    with tenant_scope(tenant.id):
        record = db.session.get(JobRecord, job_id)
        if record is None or record.tenant_id != tenant.id or record.task != export_archive.name:
            abort(404)
        return reconcile(record)


@bp.route("/tenants/<int:tenant_id>/exports/<int:job_id>")
def tenant_export(tenant_id, job_id):
    tenant = db.get_or_404(Tenant, tenant_id)
    return render_template("admin/tenant_export.html", tenant=tenant, record=_export_record(tenant, job_id))


@bp.route("/tenants/<int:tenant_id>/exports/<int:job_id>/download")
def download_export(tenant_id, job_id):
    tenant = db.get_or_404(Tenant, tenant_id)
    record = _export_record(tenant, job_id)
    path = stored_path((record.result or {}).get("file")) if record.status == "done" else None
    # The file must lie in this tenant's folder: a record is data, never a way to another's files.
    if path is None or not record.result["file"].startswith(f"{tenant.id}/"):
        abort(404)
    return send_file(path, as_attachment=True, download_name=record.result.get("filename") or path.name)


@bp.route("/tenants/import", methods=["GET", "POST"])
def import_tenant():
    form = ImportArchiveForm()
    if form.validate_on_submit():
        try:
            result = import_upload(form.archive.data, form.slug.data or None)
        except ArchiveError as exc:
            form.archive.errors.append(str(exc))
        else:
            flash(_("%(name)s imported as %(slug)s: %(rows)d rows, %(files)d files.", name=result.tenant.name,
                    slug=result.tenant.slug, rows=result.rows, files=result.files), "success")
            if result.users_created:
                flash(_("%(count)d accounts were created without a password: their owners set one through "
                        "\"Forgot your password?\".", count=result.users_created), "info")
            return redirect(url_for("admin.lifecycle", tenant_id=result.tenant.id))
    return render_template("_form_page.html", form=form, multipart=True, title=_("Import a tenant"),
                           intro=_("Loads an archive exported from this or another installation as a new "
                                   "tenant. Large archives: use \"flask tenants import\" on the server."),
                           back=url_for("admin.tenants"))


@bp.route("/purged")
def purged():
    select = sa.select(PurgedTenant).order_by(PurgedTenant.purged_at.desc())
    return render_template("admin/purged.html", page=paginate(select))
