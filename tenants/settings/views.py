"""Tenant settings (/t/<slug>/settings): the tenant profile, its users and their roles."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.auth.models import Membership, TenantInvitation, User
from saas.auth.permissions import permission_required
from saas.auth.services import AccountError, invite
from saas.extensions import db
from saas.jobs import QueueUnavailable
from saas.pagination import paginate
from saas.templating import locale_code
from saas.tenancy import tenant_blueprint
from tenants.members.models import Enterprise
from tenants.members.search import picker_attrs

from .forms import ORGANISATION, ConfirmForm, InviteForm, RoleForm, TenantProfileForm
from .services import change_role, remove
from .tasks import export_users

bp = tenant_blueprint("settings", __name__, "/settings")


@bp.route("/", methods=["GET", "POST"])
@permission_required("settings.manage")
def profile():
    form = TenantProfileForm(obj=g.tenant)
    if request.method == "GET":
        for field in ORGANISATION:
            getattr(form, field).data = (g.tenant.organisation or {}).get(field, "")
    if form.validate_on_submit():
        g.tenant.name = form.name.data.strip()
        g.tenant.region = (form.region.data or "").strip()
        g.tenant.default_locale = form.default_locale.data
        g.tenant.organisation = {field: getattr(form, field).data or "" for field in ORGANISATION}
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("settings.profile"))
    return render_template("settings/profile.html", form=form, confirm=ConfirmForm())


@bp.route("/users")
@permission_required("users.manage")
def users():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    select = (sa.select(Membership).join(User, User.id == Membership.user_id)
              .options(contains_eager(Membership.user)).order_by(User.name))
    if q:
        select = select.where(sa.or_(User.name.icontains(q, autoescape=True),
                                     User.email.icontains(q, autoescape=True)))
    if role:
        select = select.where(Membership.role == role)
    page = paginate(select)
    # Invited accounts that have not answered: only the address the inviter typed is shown,
    # nothing the account itself holds.
    invitations = db.session.execute(
        sa.select(TenantInvitation.id, TenantInvitation.role, TenantInvitation.created_at, User.email)
        .join(User, User.id == TenantInvitation.user_id).order_by(TenantInvitation.created_at.desc())).all()
    return render_template("settings/users.html", page=page, q=q, role=role, role_form=RoleForm(),
                           confirm=ConfirmForm(), invitations=invitations)


@bp.route("/users/invitations/<int:invitation_id>/withdraw", methods=["POST"])
@permission_required("users.manage")
def withdraw_invitation(invitation_id):
    invitation = db.get_or_404(TenantInvitation, invitation_id)
    if ConfirmForm().validate_on_submit():
        db.session.delete(invitation)
        db.session.commit()
        flash(_("The invitation is withdrawn."), "success")
    else:
        flash(_("The form was not valid; nothing changed."), "danger")
    return redirect(url_for("settings.users"))


@bp.route("/users/invite", methods=["GET", "POST"])
@permission_required("users.manage")
def invite_user():
    form = InviteForm()
    form.enterprise_id.choices = [(0, "—")] + [
        (e.id, e.name) for e in db.session.execute(
            sa.select(Enterprise.id, Enterprise.name).where(Enterprise.status != "withdrawn").order_by(Enterprise.name))]
    form.enterprise_id.render_kw = picker_attrs()
    if form.validate_on_submit():
        try:
            invite(form.email.data, form.name.data, g.tenant, form.role.data, form.enterprise_id.data or None,
                   invited_by=current_user._get_current_object())
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("settings.users"))
        except AccountError as exc:
            db.session.rollback()
            form.role.errors.append(str(exc))
    return render_template("settings/invite.html", form=form)


@bp.route("/users/<int:membership_id>/role", methods=["POST"])
@permission_required("users.manage")
def set_role(membership_id):
    membership = db.get_or_404(Membership, membership_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            change_role(membership, form.role.data)
            db.session.commit()
            flash(_("Role changed."), "success")
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
    else:
        flash(_("The form was not valid; nothing changed."), "danger")
    return redirect(url_for("settings.users"))


@bp.route("/users/<int:membership_id>/remove", methods=["GET", "POST"])
@permission_required("users.manage")
def remove_user(membership_id):
    membership = db.get_or_404(Membership, membership_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = membership.user.name
        try:
            remove(membership, current_user)
            db.session.commit()
            flash(_("%(name)s no longer has access to this tenant.", name=name), "success")
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for("settings.users"))
    return render_template("settings/remove.html", form=form, membership=membership)


@bp.route("/users/export", methods=["POST"])
@permission_required("users.manage")
def export():
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form was not valid; nothing changed."), "danger")
        return redirect(url_for("settings.users"))
    try:
        record = export_users.enqueue(locale_code(), key=f"export-users:{current_user.id}",
                                      user_id=current_user.id)
    except QueueUnavailable:
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return redirect(url_for("settings.users"))
    return redirect(url_for("jobs.show", job_id=record.id))


@bp.route("/export", methods=["POST"])
@permission_required("tenant.export")
def export_all():
    """The whole tenant as one archive (saas/tenant_archive.py), built in the background."""
    from saas.tenant_archive import export_archive

    if not ConfirmForm().validate_on_submit():
        flash(_("The form was not valid; nothing changed."), "danger")
        return redirect(url_for("settings.profile"))
    try:
        record = export_archive.enqueue(key=f"tenant-archive:{g.tenant.id}", user_id=current_user.id)
    except QueueUnavailable:
        flash(_("Background work is unavailable right now. Please try again later."), "danger")
        return redirect(url_for("settings.profile"))
    return redirect(url_for("jobs.show", job_id=record.id))
