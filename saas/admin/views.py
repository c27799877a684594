"""Platform administration (/admin): tenants, bureaus, users, sent mail. Platform admins only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.models import User
from ..auth.services import AccountError, invite
from ..extensions import db
from ..mail import MAIL_STATUSES, SentMail, requeue
from ..pagination import paginate
from ..templating import locale_code
from ..tenancy import Bureau, Tenant
from tenants.schemes.standards import choices as standard_choices, standard_of
from .forms import BureauForm, ConfirmForm, InviteAdminForm, TenantForm
from .services import AdminError, save_bureau, save_tenant

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _platform_admins_only():
    if not current_user.is_platform_admin:
        abort(403)


def _search(select, *columns):
    q = request.args.get("q", "").strip()
    if q:
        select = select.where(sa.or_(*[c.icontains(q, autoescape=True) for c in columns]))
    return select, q


@bp.route("/")
def index():
    counts = db.session.execute(sa.select(
        sa.select(sa.func.count(Tenant.id)).scalar_subquery(),
        sa.select(sa.func.count(Bureau.id)).scalar_subquery(),
        sa.select(sa.func.count(User.id)).scalar_subquery(),
    )).one()
    return render_template("admin/index.html", tenants=counts[0], bureaus=counts[1], users=counts[2])


# Tenants ---------------------------------------------------------------------------------

def _bureau_choices(blank_label):
    rows = db.session.execute(sa.select(Bureau.id, Bureau.name).order_by(Bureau.name)).all()
    return [(0, blank_label)] + [(r.id, r.name) for r in rows]


@bp.route("/tenants")
def tenants():
    select, q = _search(sa.select(Tenant).order_by(Tenant.name), Tenant.name, Tenant.slug, Tenant.region)
    return render_template("admin/tenants.html", page=paginate(select), q=q, standard_of=standard_of,
                           locale=locale_code())


@bp.route("/tenants/new", methods=["GET", "POST"])
@bp.route("/tenants/<int:tenant_id>/edit", methods=["GET", "POST"])
def edit_tenant(tenant_id=None):
    tenant = db.get_or_404(Tenant, tenant_id) if tenant_id else None
    form = TenantForm(obj=tenant)
    form.bureau_id.choices = _bureau_choices(_("(none)"))
    form.standard.choices = [("", _("From the bureau's region (all sets where none is known)"))] + \
        standard_choices(locale_code())
    if request.method == "GET" and tenant is not None:
        form.bureau_id.data = tenant.bureau_id or 0
    if form.validate_on_submit():
        try:
            saved = save_tenant(tenant, slug=form.slug.data, name=form.name.data, kind=form.kind.data,
                                region=form.region.data or "", default_locale=form.default_locale.data,
                                bureau=db.session.get(Bureau, form.bureau_id.data) if form.bureau_id.data else None,
                                status=form.status.data, standard=form.standard.data or "")
            db.session.commit()
            flash(_("Tenant %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("admin.tenants"))
        except AdminError as exc:
            db.session.rollback()
            form.slug.errors.append(str(exc))
    return render_template("admin/tenant_form.html", form=form, tenant=tenant)


@bp.route("/tenants/<int:tenant_id>/invite", methods=["GET", "POST"])
def invite_admin(tenant_id):
    tenant = db.get_or_404(Tenant, tenant_id)
    form = InviteAdminForm()
    if form.validate_on_submit():
        try:
            invite(form.email.data, form.name.data, tenant, "admin", needs_acceptance=False)
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("admin.tenants"))
        except AccountError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
    return render_template("admin/invite.html", form=form, tenant=tenant)


# Bureaus ---------------------------------------------------------------------------------

@bp.route("/bureaus")
def bureaus():
    select, q = _search(sa.select(Bureau).order_by(Bureau.level.desc(), Bureau.name), Bureau.name)
    return render_template("admin/bureaus.html", page=paginate(select), q=q)


@bp.route("/bureaus/new", methods=["GET", "POST"])
@bp.route("/bureaus/<int:bureau_id>/edit", methods=["GET", "POST"])
def edit_bureau(bureau_id=None):
    bureau = db.get_or_404(Bureau, bureau_id) if bureau_id else None
    form = BureauForm(obj=bureau)
    form.parent_id.choices = _bureau_choices(_("(none)"))
    if request.method == "GET" and bureau is not None:
        form.parent_id.data = bureau.parent_id or 0
    if form.validate_on_submit():
        parent = db.session.get(Bureau, form.parent_id.data) if form.parent_id.data else None
        try:
            saved = save_bureau(bureau, form.name.data, form.level.data, parent)
            saved.application_opens, saved.application_closes = form.application_opens.data, form.application_closes.data
            db.session.commit()
            flash(_("Bureau %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("admin.bureaus"))
        except AdminError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
    return render_template("admin/bureau_form.html", form=form, bureau=bureau)


# Users -----------------------------------------------------------------------------------

@bp.route("/users")
def users():
    select, q = _search(sa.select(User).order_by(User.email), User.email, User.name)
    return render_template("admin/users.html", page=paginate(select), q=q, form=ConfirmForm())


@bp.route("/users/<int:user_id>/active", methods=["GET", "POST"])
def set_active(user_id):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate yourself."), "warning")
        else:
            user.active = not user.active
            db.session.commit()
            flash(_("%(email)s is now active.", email=user.email) if user.active
                  else _("%(email)s is deactivated.", email=user.email), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/confirm_active.html", form=form, user=user)


@bp.route("/mail")
def mail():
    status = request.args.get("status", "")
    select = sa.select(SentMail).order_by(SentMail.id.desc())
    if status in MAIL_STATUSES:
        select = select.where(SentMail.status == status)
    else:
        status = ""
    return render_template("admin/mail.html", page=paginate(select, per_page=20), status=status,
                           statuses=MAIL_STATUSES, form=ConfirmForm())


@bp.route("/mail/resend", methods=["POST"])
def resend_mail():
    """A failed message queued again (the outbox job sends it after the commit)."""
    form = ConfirmForm()
    mail_id = request.form.get("mail_id", type=int)
    if form.validate_on_submit() and mail_id is not None and 0 < mail_id < 2**31:
        if requeue(mail_id):
            db.session.commit()
            flash(_("The message is queued again."), "success")
        else:
            flash(_("Only a message that failed can be sent again."), "warning")
    return redirect(url_for("admin.mail", status="failed"))
