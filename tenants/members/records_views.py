"""What an enterprise keeps (its own users may edit these): checklists, evidence files, yearly
survey figures, the vulnerability list."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files
from saas.auth.permissions import permission_required
from saas.extensions import db

from .blueprint import bp
from .checklists import GROUPS, ITEM_TITLES, ITEMS, STATE_LABELS, STATES
from .forms import ConfirmForm, EvidenceForm, SurveyForm, VulnerabilityForm
from .models import Vulnerability
from .services import MemberError, checklist, enterprise_or_404, save_checklist, save_survey, survey, \
    vulnerability_or_404

FIRST_SURVEY_YEAR = 2015


@bp.route("/<int:enterprise_id>/checklist", methods=["GET", "POST"])
@permission_required("members.records")
def edit_checklist(enterprise_id):
    enterprise = enterprise_or_404(enterprise_id)
    form = ConfirmForm()
    items = checklist(enterprise)
    if form.validate_on_submit():
        values = {code: (request.form.get(f"state-{code}", "not_started"), request.form.get(f"note-{code}", ""))
                  for code in ITEMS}
        try:
            changed = save_checklist(enterprise, values)
            db.session.commit()
            flash(_("Checklist saved (%(n)d items changed).", n=changed), "success")
            return redirect(url_for("members.show", enterprise_id=enterprise.id))
        except MemberError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
    return render_template("members/checklist.html", enterprise=enterprise, form=form, items=items,
                           groups=GROUPS, states=STATES, state_labels=STATE_LABELS)


@bp.route("/<int:enterprise_id>/evidence", methods=["GET", "POST"])
@permission_required("members.records")
def evidence(enterprise_id):
    enterprise = enterprise_or_404(enterprise_id)
    form = EvidenceForm()
    form.label.choices = [("", _("General"))] + [(code, str(ITEM_TITLES[code])) for code in ITEMS]
    if form.validate_on_submit():
        try:
            files.store(request.files.get("file"), "enterprise", enterprise.id, form.label.data or "",
                        user_id=current_user.id)
            db.session.commit()
            flash(_("File uploaded."), "success")
            return redirect(url_for("members.show", enterprise_id=enterprise.id))
        except files.UploadError as exc:
            form.file.errors.append(str(exc))
    return render_template("members/evidence.html", enterprise=enterprise, form=form)


@bp.route("/<int:enterprise_id>/evidence/<int:attachment_id>")
@permission_required("members.view")
def download(enterprise_id, attachment_id):
    enterprise = enterprise_or_404(enterprise_id)
    return files.send(files.get_for_owner(attachment_id, "enterprise", enterprise.id))


@bp.route("/<int:enterprise_id>/evidence/<int:attachment_id>/delete", methods=["GET", "POST"])
@permission_required("members.records")
def delete_evidence(enterprise_id, attachment_id):
    enterprise = enterprise_or_404(enterprise_id)
    attachment = files.get_for_owner(attachment_id, "enterprise", enterprise.id)
    form = ConfirmForm()
    if form.validate_on_submit():
        files.delete(attachment)
        db.session.commit()
        flash(_("File deleted."), "success")
        return redirect(url_for("members.show", enterprise_id=enterprise.id))
    return render_template("members/confirm.html", form=form, enterprise=enterprise,
                           question=_("Delete the file %(name)s?", name=attachment.filename))


@bp.route("/<int:enterprise_id>/survey/<int:year>", methods=["GET", "POST"])
@permission_required("members.records")
def edit_survey(enterprise_id, year):
    enterprise = enterprise_or_404(enterprise_id)
    if not FIRST_SURVEY_YEAR <= year <= date.today().year + 1:
        abort(404)
    row = survey(enterprise, year)
    form = SurveyForm(obj=row)
    if form.validate_on_submit():
        try:
            save_survey(enterprise, year, {f.name: f.data for f in form if f.name not in ("csrf_token", "submit")})
            db.session.commit()
            flash(_("Survey figures for %(year)d saved.", year=year), "success")
            return redirect(url_for("members.show", enterprise_id=enterprise.id))
        except MemberError as exc:
            db.session.rollback()
            getattr(form, exc.field or "employees").errors.append(str(exc))
    return render_template("members/survey.html", enterprise=enterprise, form=form, year=year, row=row)


@bp.route("/<int:enterprise_id>/vulnerabilities/new", methods=["GET", "POST"])
@bp.route("/<int:enterprise_id>/vulnerabilities/<int:vulnerability_id>", methods=["GET", "POST"])
@permission_required("members.records")
def edit_vulnerability(enterprise_id, vulnerability_id=None):
    enterprise = enterprise_or_404(enterprise_id)
    row = vulnerability_or_404(enterprise, vulnerability_id) if vulnerability_id else None
    form = VulnerabilityForm(obj=row)
    if form.validate_on_submit():
        row = row or Vulnerability(enterprise_id=enterprise.id)
        form.populate_obj(row)
        db.session.add(row)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("members.show", enterprise_id=enterprise.id) + "#vulnerabilities")
    return render_template("members/vulnerability.html", enterprise=enterprise, form=form, row=row)


@bp.route("/<int:enterprise_id>/vulnerabilities/<int:vulnerability_id>/delete", methods=["GET", "POST"])
@permission_required("members.records")
def delete_vulnerability(enterprise_id, vulnerability_id):
    enterprise = enterprise_or_404(enterprise_id)
    row = vulnerability_or_404(enterprise, vulnerability_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(row)
        db.session.commit()
        flash(_("Deleted."), "success")
        return redirect(url_for("members.show", enterprise_id=enterprise.id) + "#vulnerabilities")
    return render_template("members/confirm.html", form=form, enterprise=enterprise,
                           question=_("Delete the vulnerability “%(item)s”?", item=row.item))
