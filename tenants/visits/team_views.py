"""The instructor-team ledger (CQ-2 items 10–13): protection staff of key members, team training
sessions, publicity materials produced."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files
from saas.auth.permissions import permission_required
from saas.extensions import db
from tenants.members.models import Enterprise
from tenants.members.search import picker_attrs

from .blueprint import bp
from .forms import EMPLOYMENT_LABELS, ActivityForm, StaffLedgerForm
from .models import ProtectionStaff, TeamActivity


@bp.route("/team")
@permission_required("team.view")
def team():
    staff = db.session.execute(sa.select(ProtectionStaff, Enterprise.name)
                               .join(Enterprise, Enterprise.id == ProtectionStaff.enterprise_id)
                               .order_by(Enterprise.name, ProtectionStaff.name)).all()
    activities = db.session.scalars(sa.select(TeamActivity).order_by(TeamActivity.held_on.desc())).all()
    return render_template("visits/team.html", staff=staff, activities=activities, employment_labels=EMPLOYMENT_LABELS)


@bp.route("/team/staff/new", methods=["GET", "POST"])
@bp.route("/team/staff/<int:ledger_id>", methods=["GET", "POST"])
@permission_required("team.manage")
def edit_staff(ledger_id=None):
    row = db.get_or_404(ProtectionStaff, ledger_id) if ledger_id else None
    form = StaffLedgerForm(obj=row)
    keep = row.enterprise_id if row else None  # a member that withdrew since stays valid on its rows
    form.enterprise_id.choices = [(e.id, e.name) for e in db.session.execute(
        sa.select(Enterprise.id, Enterprise.name).where(sa.or_(Enterprise.status != "withdrawn", Enterprise.id == keep))
        .order_by(Enterprise.name))]
    form.enterprise_id.render_kw = picker_attrs()
    if form.validate_on_submit():
        row = row or ProtectionStaff()
        form.populate_obj(row)
        db.session.add(row)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("visits.team"))
    return render_template("_form_page.html", form=form, title=_("Protection staff"), back=url_for("visits.team"))


@bp.route("/team/activities/new", methods=["GET", "POST"])
@bp.route("/team/activities/<int:activity_id>", methods=["GET", "POST"])
@permission_required("team.manage")
def edit_activity(activity_id=None):
    row = db.get_or_404(TeamActivity, activity_id) if activity_id else None
    form = ActivityForm(obj=row)
    if form.validate_on_submit():
        saved = row or TeamActivity()
        for field in ("kind", "title", "held_on", "participants", "description"):
            setattr(saved, field, getattr(form, field).data)
        saved.hours = float(form.hours.data) if form.hours.data is not None else None
        db.session.add(saved)
        try:
            db.session.flush()
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                files.store(upload, "team_activity", saved.id, user_id=current_user.id)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("visits.team"))
        except files.UploadError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
    attachments = files.attachments_of("team_activity", row.id) if row else []
    return render_template("_form_page.html", form=form, title=_("Team activity"), multipart=True,
                           attachments=attachments, back=url_for("visits.team"),
                           attachment_url=lambda a: url_for("visits.activity_file", activity_id=row.id, attachment_id=a.id))


@bp.route("/team/activities/<int:activity_id>/files/<int:attachment_id>")
@permission_required("team.view")
def activity_file(activity_id, attachment_id):
    row = db.get_or_404(TeamActivity, activity_id)
    return files.send(files.get_for_owner(attachment_id, "team_activity", row.id))


