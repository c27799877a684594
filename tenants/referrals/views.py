"""Referrals: the station refers a complaint of its ledger (form → what will be sent → sent),
the referral's page (the facts as sent, status, history, the bureau's moves), withdrawal while
received, the base's list of its referrals."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.auth.permissions import can, permission_required
from saas.confirm import TypedConfirmation
from saas.extensions import db
from saas.pagination import paginate
from saas.tenancy import Bureau, tenant_blueprint
from tenants.stations.services import log_or_404

from . import services
from .forms import MoveForm, ReferralForm
from .models import STATUSES
from .services import ReferralError

bp = tenant_blueprint("referrals", __name__, "/referrals")


def _bureau() -> Bureau | None:
    """The bureau a referral of this base goes to."""
    return db.session.get(Bureau, g.tenant.bureau_id) if g.tenant.bureau_id else None


@bp.context_processor
def _labels():
    return {"referral_status_labels": services.status_labels(), "referral_action_labels": services.action_labels()}


@bp.route("/")
@permission_required("referrals.view")
def index():
    status = request.args.get("status", "")
    status = status if status in STATUSES or status == "open" else ""
    return render_template("referrals/index.html", page=paginate(services.listing(status)), status=status,
                           args={"status": status} if status else {})


@bp.route("/refer/<int:log_id>", methods=["GET", "POST"])
@permission_required("referrals.send")
def refer(log_id):
    entry = log_or_404(log_id)
    back = url_for("stations.edit_log", log_id=entry.id)
    existing = services.of_entry(entry.id)
    if existing is not None:
        flash(_("This complaint was referred already; it cannot be sent twice."), "info")
        return redirect(url_for("referrals.show", referral_id=existing.id))
    try:
        services.check_referable(entry)
    except ReferralError as exc:
        flash(str(exc), "danger")
        return redirect(back)
    form = ReferralForm(data=services.prefill(entry)) if request.method == "GET" else ReferralForm()
    if request.method == "POST" and form.validate():
        try:
            facts = services.Facts.chosen(form.data)
        except ReferralError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            if request.form.get("confirmed") == "1":
                referral, made = services.refer(entry, facts, current_user)
                db.session.commit()
                flash(_("The complaint was referred to the bureau.") if made else
                      _("This complaint was referred already; it cannot be sent twice."), "success" if made else "info")
                return redirect(url_for("referrals.show", referral_id=referral.id))
            if request.form.get("edit") != "1":
                return render_template("referrals/confirm.html", form=form, facts=facts, entry=entry, back=back,
                                       bureau=_bureau())
    return render_template("referrals/refer.html", form=form, entry=entry, back=back, bureau=_bureau())


@bp.route("/<int:referral_id>")
@permission_required("referrals.view")
def show(referral_id):
    referral = services.referral_or_404(referral_id)
    side = "bureau" if can("referrals.handle") else "station" if can("referrals.send") else ""
    return render_template("referrals/show.html", referral=referral,
                           moves=services.allowed_moves(referral, side) if side else [])


@bp.route("/<int:referral_id>/move", methods=["GET", "POST"])
@permission_required("referrals.handle")
def move(referral_id):
    referral = services.referral_or_404(referral_id)
    back = url_for("referrals.show", referral_id=referral.id)
    to = request.args.get("to", "")
    if to not in services.action_labels() or to == "withdrawn":
        flash(_("This step is not possible from here."), "danger")
        return redirect(back)
    form = MoveForm()
    if request.method == "GET":
        if to not in services.allowed_moves(referral, "bureau"):  # an old link: say where it stands
            flash(_("This step is not possible now (now: %(status)s).",
                    status=services.status_labels()[referral.status]), "info")
            return redirect(back)
        form.expected.data = referral.status
    if to == "closed":
        form.note.label.text = _("Outcome")
        form.note.description = _("What the bureau found and did. The station sees it on its ledger entry.")
    elif to == "declined":
        form.note.label.text = _("Reason for declining")
    form.submit.label.text = services.action_labels()[to]
    if form.validate_on_submit():
        try:
            services.move(referral, form.expected.data or "", to, form.note.data, current_user, "bureau")
        except ReferralError as exc:
            db.session.rollback()
            if exc.field == "note":
                form.note.errors = [str(exc)]
            else:
                flash(str(exc), "warning")
                return redirect(back)
        else:
            db.session.commit()
            flash(_("Referral: %(status)s.", status=services.status_labels()[to]), "success")
            return redirect(back)
    return render_template("_form_page.html", form=form, back=back,
                           title=_("%(action)s: complaint referred by %(station)s", action=services.action_labels()[to],
                                   station=referral.station_name),
                           intro=_("Now: %(status)s.", status=services.status_labels()[referral.status]))


@bp.route("/<int:referral_id>/withdraw", methods=["GET", "POST"])
@permission_required("referrals.send")
def withdraw(referral_id):
    referral = services.referral_or_404(referral_id)
    back = url_for("referrals.show", referral_id=referral.id)
    form = WithdrawForm(_withdraw_name(referral))  # never referred again: the name is typed to confirm
    if request.method == "GET":
        form.expected.data = referral.status
    if referral.status != "received" and request.method == "GET":
        return render_template("_confirm_page.html", form=form, back=back, action=None,
                               question=_("The bureau has taken this referral up (now: %(status)s): it can no "
                                          "longer be withdrawn.", status=services.status_labels()[referral.status]))
    if form.validate_on_submit():
        try:
            services.move(referral, form.expected.data or "", "withdrawn", "", current_user, "station")
        except ReferralError as exc:
            db.session.rollback()
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(_("The referral was withdrawn."), "success")
        return redirect(back)
    return render_template("_confirm_page.html", form=form, back=back,
                           question=_("Withdraw this referral? The bureau will no longer handle it, and the "
                                      "complaint cannot be referred again.")), (422 if form.errors else 200)


class WithdrawForm(TypedConfirmation, MoveForm):
    pass


def _withdraw_name(referral) -> str:
    """The name typed to withdraw: the enterprise complained about as sent, else the ledger's."""
    entry = referral.entry
    return (referral.enterprise_name or (entry.enterprise.name if entry.enterprise_id else entry.non_member)
            or referral.station_name)
