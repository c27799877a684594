"""Stations: list, create/edit, staff, rules documents."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files
from saas.auth.permissions import permission_required
from saas.confirm import TypedConfirmForm
from saas.extensions import db

from .blueprint import bp
from .forms import ConfirmForm, StaffForm, StationForm
from .models import Station, StationStaff
from .services import station_or_404


@bp.route("/")
@permission_required("stations.view")
def index():
    return render_template("stations/index.html", stations=db.session.scalars(
        sa.select(Station).options(selectinload(Station.staff)).order_by(Station.name)).all())


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:station_id>/edit", methods=["GET", "POST"])
@permission_required("stations.manage")
def edit(station_id=None):
    station = station_or_404(station_id) if station_id else None
    form = StationForm(obj=station)
    if form.validate_on_submit():
        station = station or Station()
        form.populate_obj(station)
        db.session.add(station)
        db.session.commit()
        flash(_("%(name)s saved.", name=station.name), "success")
        return redirect(url_for("stations.show", station_id=station.id))
    return render_template("_form_page.html", form=form, title=_("Edit station") if station else _("Add a station"),
                           back=url_for("stations.show", station_id=station.id) if station else url_for("stations.index"))


@bp.route("/<int:station_id>")
@permission_required("stations.view")
def show(station_id):
    station = station_or_404(station_id)
    return render_template("stations/show.html", station=station, documents=files.attachments_of("station", station.id),
                           upload=ConfirmForm())


@bp.route("/<int:station_id>/staff/new", methods=["GET", "POST"])
@bp.route("/<int:station_id>/staff/<int:staff_id>", methods=["GET", "POST"])
@permission_required("stations.manage")
def edit_staff(station_id, staff_id=None):
    station = station_or_404(station_id)
    member = None
    if staff_id:
        member = db.session.scalar(sa.select(StationStaff).where(StationStaff.id == staff_id,
                                                                 StationStaff.station_id == station.id))
        if member is None:
            abort(404)
    form = StaffForm(obj=member)
    if form.validate_on_submit():
        member = member or StationStaff(station_id=station.id)
        form.populate_obj(member)
        db.session.add(member)
        db.session.commit()
        flash(_("%(name)s saved.", name=member.name), "success")
        return redirect(url_for("stations.show", station_id=station.id))
    return render_template("_form_page.html", form=form, title=_("Station staff — %(station)s", station=station.name),
                           back=url_for("stations.show", station_id=station.id))


@bp.route("/<int:station_id>/documents", methods=["POST"])
@permission_required("stations.manage")
def upload_document(station_id):
    station = station_or_404(station_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            files.store(request.files.get("file"), "station", station.id, user_id=current_user.id)
            db.session.commit()
            flash(_("File uploaded."), "success")
        except files.UploadError as exc:
            flash(str(exc), "danger")
    return redirect(url_for("stations.show", station_id=station.id))


@bp.route("/<int:station_id>/documents/<int:attachment_id>")
@permission_required("stations.view")
def document(station_id, attachment_id):
    station = station_or_404(station_id)
    return files.send(files.get_for_owner(attachment_id, "station", station.id))


@bp.route("/<int:station_id>/documents/<int:attachment_id>/delete", methods=["GET", "POST"])
@permission_required("stations.manage")
def delete_document(station_id, attachment_id):
    station = station_or_404(station_id)
    attachment = files.get_for_owner(attachment_id, "station", station.id)
    form = TypedConfirmForm(attachment.filename)  # the file is gone for good
    if form.validate_on_submit():
        files.delete(attachment)
        db.session.commit()
        flash(_("File deleted."), "success")
        return redirect(url_for("stations.show", station_id=station.id))
    return render_template("_confirm_page.html", form=form, back=url_for("stations.show", station_id=station.id),
                           question=_("Delete the file %(name)s?", name=attachment.filename)), (422 if form.errors else 200)


