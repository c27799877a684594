"""Roster pages: list, enterprise page, create/edit, status, liaison, invitation of the liaison."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.audit import recent_events
from saas.auth.permissions import can, permission_required
from saas.auth.services import AccountError, invite
from saas.extensions import db
from saas.files import attachments_of
from saas.pagination import page_number, paginate
from saas.tenant_cache import fragment
from saas.templating import whole_page

from tenants.stations.forms import CATEGORY_LABELS
from tenants.stations.models import ServiceLog
from tenants.recognition.models import Recognition
from tenants.visits.models import GuidanceVisit

from .blueprint import bp
from .checklists import GROUPS
from .checklists import progress as checklist_progress
from .forms import EnterpriseForm, LiaisonForm, StatusForm
from .privacy import contacts_key, may_see_any_contacts
from .queries import RosterFilter, roster, status_counts
from .services import MemberError, change_status, checklist, enterprise_or_404, save_enterprise, set_liaison, \
    surveys, vulnerabilities

PROFILE = ("name", "credit_code", "industry", "employees", "joined_on", "high_tech", "specialised", "gazelle",
           "champion", "time_honoured", "adopted_standard", "adopted_on")


@bp.route("/")
@permission_required("members.list")
def index():
    f = RosterFilter.from_args(request.args)
    can_manage = can("members.manage")
    can_export_contacts = can_manage and may_see_any_contacts()
    key = (tuple(sorted(f.args().items())), page_number(), can_manage, contacts_key())

    def page():
        body = fragment("roster", key, lambda: render_template(
            "members/_roster.html", page=paginate(roster(f)), f=f, counts=status_counts(), can_manage=can_manage,
            can_export_contacts=can_export_contacts))
        return render_template("members/index.html", roster=body)

    return whole_page("roster", key, page)


@bp.route("/mine")
@permission_required("members.view")
def mine():
    """An enterprise user's way in: their own enterprise's page."""
    if g.access.enterprise_id is None:
        return redirect(url_for("members.index"))
    return redirect(url_for("members.show", enterprise_id=g.access.enterprise_id))


@bp.route("/<int:enterprise_id>")
@permission_required("members.view")
def show(enterprise_id):
    enterprise = enterprise_or_404(enterprise_id)
    items = checklist(enterprise)
    history, names = recent_events("Enterprise", enterprise.id) if can("audit.view") else ([], {})
    # What other features recorded about this enterprise (newest first, a few of each).
    visits = db.session.scalars(sa.select(GuidanceVisit).where(GuidanceVisit.enterprise_id == enterprise.id)
                                .order_by(GuidanceVisit.visited_on.desc()).limit(10)).all() if can("visits.view") else []
    services = db.session.scalars(sa.select(ServiceLog).where(ServiceLog.enterprise_id == enterprise.id)
                                  .order_by(ServiceLog.served_on.desc()).limit(10)).all() if can("log.view") else []
    recognitions = db.session.scalars(sa.select(Recognition).where(Recognition.enterprise_id == enterprise.id)
                                      .order_by(Recognition.recognised_on.desc())).all()
    return render_template("members/show.html", enterprise=enterprise, items=items, groups=GROUPS,
                           events=history, names=names, visits=visits, services=services,
                           recognitions=recognitions, today=date.today(),
                           category_labels=CATEGORY_LABELS,
                           **checklist_progress({code: i.state for code, i in items.items()}),
                           surveys=surveys(enterprise), vulnerabilities=vulnerabilities(enterprise),
                           files=attachments_of("enterprise", enterprise.id), history=history)


def _form_data(form) -> dict:
    return {field: getattr(form, field).data for field in PROFILE}


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
@permission_required("members.manage")
def edit(enterprise_id=None):
    enterprise = enterprise_or_404(enterprise_id) if enterprise_id else None
    form = EnterpriseForm(obj=enterprise)
    # A new enterprise may name its liaison on the same page (the outer form carries the CSRF token).
    liaison_form = LiaisonForm(prefix="liaison", meta={"csrf": False}) if enterprise is None else None
    if form.validate_on_submit() and (liaison_form is None or not liaison_form.name.data or liaison_form.validate()):
        liaison = None
        if liaison_form is not None and liaison_form.name.data:
            liaison = {"name": liaison_form.name.data, "position": liaison_form.position.data or "",
                       "mobile": liaison_form.mobile.data or "", "landline": liaison_form.landline.data or "",
                       "email": liaison_form.email.data or "",
                       "on": liaison_form.started_on.data or form.joined_on.data}
        try:
            saved = save_enterprise(enterprise, _form_data(form), liaison)
            db.session.commit()
            flash(_("%(name)s saved.", name=saved.name), "success")
            return redirect(url_for("members.show", enterprise_id=saved.id))
        except MemberError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(str(exc))
    return render_template("members/edit.html", form=form, liaison_form=liaison_form, enterprise=enterprise)


@bp.route("/<int:enterprise_id>/status", methods=["GET", "POST"])
@permission_required("members.manage")
def status(enterprise_id):
    enterprise = enterprise_or_404(enterprise_id)
    form = StatusForm(status=request.args.get("to") or enterprise.status)
    if form.validate_on_submit():
        try:
            if form.status.data == enterprise.status:
                raise MemberError(_("The enterprise already has this status."), "status")
            change_status(enterprise, form.status.data, form.on.data, form.reason.data or "")
            db.session.commit()
            flash(_("Status changed."), "success")
            return redirect(url_for("members.show", enterprise_id=enterprise.id))
        except MemberError as exc:
            db.session.rollback()
            getattr(form, exc.field or "status").errors.append(str(exc))
    return render_template("members/status.html", form=form, enterprise=enterprise)


@bp.route("/<int:enterprise_id>/liaison", methods=["GET", "POST"])
@permission_required("members.manage")
def liaison(enterprise_id):
    enterprise = enterprise_or_404(enterprise_id)
    current = enterprise.current_liaison
    # An erased person is not filled in again: the form names the next one.
    form = LiaisonForm(obj=current if current is not None and current.erased_at is None else None)
    if form.validate_on_submit():
        try:
            set_liaison(enterprise, form.name.data, form.position.data, form.mobile.data, form.email.data,
                        form.started_on.data, landline=form.landline.data)
            db.session.commit()
            flash(_("Liaison person saved."), "success")
            return redirect(url_for("members.show", enterprise_id=enterprise.id))
        except MemberError as exc:
            db.session.rollback()
            getattr(form, exc.field or "started_on").errors.append(str(exc))
    return render_template("members/liaison.html", form=form, enterprise=enterprise)


@bp.route("/<int:enterprise_id>/invite", methods=["POST"])
@permission_required("members.invite")
def invite_liaison(enterprise_id):
    """One click: the current liaison person becomes this enterprise's user."""
    enterprise = enterprise_or_404(enterprise_id)
    person = enterprise.current_liaison
    if person is None or not person.email:
        flash(_("Record the liaison person's email address first."), "warning")
    else:
        try:
            invite(person.email, person.name, g.tenant, "enterprise", enterprise.id,
                   invited_by=current_user._get_current_object())
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=person.email), "success")
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
    return redirect(url_for("members.show", enterprise_id=enterprise.id))
