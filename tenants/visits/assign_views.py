"""Who instructs this tenant: assign bureau instructors (tenant admins, or reviewers of the
jurisdiction) and, optionally, give them particular member enterprises."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from saas.auth.models import Membership, User
from saas.auth.permissions import permission_required
from saas.auth.services import AccountError, grant
from saas.extensions import db
from saas.numbers import ids
from tenants.members.models import Enterprise

from .blueprint import bp
from .forms import AssignForm, ConfirmForm
from .models import InstructorEnterprise
from .services import assigned_enterprises, candidate_instructors, set_assigned_enterprises, tenant_instructors


@bp.route("/instructors", methods=["GET", "POST"])
@permission_required("instructors.assign")
def instructors():
    assigned = tenant_instructors()
    form = AssignForm()
    # Anyone already in the tenant keeps the role they have: assigning never changes it.
    taken = set(db.session.scalars(sa.select(Membership.user_id)))
    form.user_id.choices = [(u.id, f"{u.name} ({u.bureau.name if u.bureau else ''})")
                            for u in candidate_instructors(g.tenant) if u.id not in taken]
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        try:
            grant(user, g.tenant, "instructor")
            db.session.commit()
            flash(_("%(name)s now instructs this tenant.", name=user.name), "success")
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for("visits.instructors"))
    counts = dict(db.session.execute(sa.select(InstructorEnterprise.user_id, sa.func.count(InstructorEnterprise.id))
                                     .group_by(InstructorEnterprise.user_id)).all())
    return render_template("visits/instructors.html", assigned=assigned, form=form, counts=counts,
                           confirm=ConfirmForm())


def _assigned_or_404(user_id: int) -> Membership:
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == user_id,
                                                               Membership.role == "instructor"))
    if membership is None:
        abort(404)
    return membership


@bp.route("/instructors/<int:user_id>/remove", methods=["GET", "POST"])
@permission_required("instructors.assign")
def unassign(user_id):
    membership = _assigned_or_404(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = membership.user.name
        set_assigned_enterprises(user_id, set())
        db.session.delete(membership)  # access ends with the next request
        db.session.commit()
        flash(_("%(name)s no longer instructs this tenant.", name=name), "success")
        return redirect(url_for("visits.instructors"))
    return render_template("_confirm_page.html", form=form, back=url_for("visits.instructors"),
                           question=_("Stop %(name)s instructing this tenant? Their visits stay on record.",
                                      name=membership.user.name))


@bp.route("/instructors/<int:user_id>/enterprises", methods=["GET", "POST"])
@permission_required("instructors.assign")
def instructor_enterprises(user_id):
    membership = _assigned_or_404(user_id)
    form = ConfirmForm()
    chosen = set(assigned_enterprises(user_id))
    # Today's members, and those given to the instructor that have withdrawn since (shown, so
    # that removing one is a choice made here, never a side effect of saving the others).
    enterprises = db.session.execute(sa.select(Enterprise.id, Enterprise.name, Enterprise.status)
                                     .where(sa.or_(Enterprise.status != "withdrawn", Enterprise.id.in_(chosen)))
                                     .order_by(Enterprise.name)).all()
    if form.validate_on_submit():
        ticked = ids(request.form.getlist("enterprise"))
        set_assigned_enterprises(user_id, ticked, among={e.id for e in enterprises})
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("visits.instructors"))
    return render_template("visits/instructor_enterprises.html", form=form, instructor=membership.user,
                           enterprises=enterprises, chosen=chosen)
