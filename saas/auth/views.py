"""Sign-in, sign-out, invitations, password reset, account settings and the "my tenants" page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db, limiter
from ..i18n import safe_next
from . import throttle
from .access import reachable_tenants
from .forms import AnswerInvitationForm, ChangePasswordForm, LoginForm, ProfileForm, RequestResetForm, SetPasswordForm
from .models import User
from .services import pending_invitations, record_login, respond_to_invitation, role_label, send_reset
from .sessions import sign_in, sign_out
from .tokens import read_token

bp = Blueprint("auth", __name__)


@bp.route("/")
def home():
    """Where a user lands: their work. One kind of work (a reviewer's workbench, an instructor's
    home, the platform admin's pages, one base's dashboard) opens directly; several are listed,
    each with what waits there, above the list of their tenants. Invitations waiting for an
    answer keep the user on the list."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    invitations = pending_invitations(current_user)
    tenants = reachable_tenants(current_user)
    works = _works(current_user, tenants)
    if not invitations and len(works) == 1:
        return redirect(works[0]["url"])
    return _my_tenants(invitations, tenants, works)


@bp.route("/tenants")
@login_required
def tenants():
    tenants = reachable_tenants(current_user)
    return _my_tenants(pending_invitations(current_user), tenants, _works(current_user, tenants))


def _works(user, tenants) -> list[dict]:
    """Each kind of work the user does, with where it is done and how much waits there (None:
    not counted). A reviewer's tenants are read from the workbench, an instructor's from the
    instructor home (whichever bases they instruct in); each base the user administers, staffs
    or acts in for its enterprise is a work of its own."""
    from tenants.workbench import badge, instructor

    works = []
    if user.is_platform_admin:
        works.append({"key": "admin", "url": url_for("admin.index"), "title": _("Platform admin"),
                      "what": _("Tenants, bureaus, users and background jobs"), "waiting": None})
    if user.is_reviewer:
        works.append({"key": "workbench", "url": url_for("workbench.index"), "title": _("Reviewer workbench"),
                      "what": _("Applications, re-reviews, reports and referrals of your jurisdiction"),
                      "waiting": badge.count(user)})
    if user.bureau_role == "instructor" or any(role == "instructor" for _t, role in tenants):
        works.append({"key": "instructor", "url": url_for("instructor.home"), "title": _("Instructor home"),
                      "what": _("Your enterprises, visits and follow-ups"),
                      "waiting": instructor.pending(user.id)})
    for tenant, role in tenants:
        if role in ("admin", "staff", "enterprise"):
            works.append({"key": f"tenant-{tenant.id}", "url": url_for("dashboard.index", tenant_slug=tenant.slug),
                          "title": tenant.name, "what": role_label(role), "waiting": None})
    return works


def _my_tenants(invitations, tenants, works):
    return render_template("auth/home.html", tenants=tenants, invitations=invitations, works=works,
                           answer=AnswerInvitationForm(), role_label=role_label)


@bp.route("/invitations/<int:invitation_id>/<any(accept, decline):answer>", methods=["POST"])
@login_required
def answer_invitation(invitation_id, answer):
    if not AnswerInvitationForm().validate_on_submit():
        flash(_("The form was not valid; nothing changed."), "danger")
        return redirect(url_for("auth.home"))
    tenant = respond_to_invitation(current_user, invitation_id, accept=answer == "accept")
    if tenant is None:
        abort(404)
    db.session.commit()
    if answer == "decline":
        flash(_("You declined the invitation to %(tenant)s.", tenant=tenant.name), "info")
        return redirect(url_for("auth.home"))
    flash(_("You joined %(tenant)s.", tenant=tenant.name), "success")
    return redirect(url_for("dashboard.index", tenant_slug=tenant.slug))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = throttle.begin(form.email.data)
        if attempt.retry_after:
            minutes = max(1, -(-attempt.retry_after // 60))
            flash(_("Too many sign-in attempts. Try again in %(minutes)d minutes, or reset your password.",
                    minutes=minutes), "danger")
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(attempt.retry_after)
            return response
        user = User.by_email(form.email.data)
        if throttle.check_password(user, form.password.data):
            throttle.succeeded(attempt)
            sign_in(user)
            record_login(user)
            response = redirect(safe_next(request.args.get("next")) or url_for("auth.home"))
            throttle.remember_source(user, response)
            db.session.commit()
            if user.locale:
                session["locale"] = user.locale
            return response
        flash(_("Wrong email or password."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


def _password_from_link(token: str, purpose: str, title: str, done):
    """The page behind an emailed link: set a password, then `done(user)` says where to go."""
    user = read_token(token, purpose)
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        return done(user)
    return render_template("auth/set_password.html", form=form, user=user, title=title)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    def welcome(user):
        sign_out()
        sign_in(user)
        flash(_("Welcome! Your password is set."), "success")
        return redirect(url_for("auth.home"))

    return _password_from_link(token, "invite", _("Accept invitation"), welcome)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def request_reset():
    form = RequestResetForm()
    if form.validate_on_submit():
        send_reset(form.email.data)
        db.session.commit()
        flash(_("If an account exists for that address, a reset link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/request_reset.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    def sign_in_again(user):
        # The link proved the owner: strangers' failed guesses no longer lock them out, and
        # this device counts as theirs.
        throttle.clear_account(user.email)
        response = redirect(url_for("auth.login"))
        throttle.remember_source(user, response)
        db.session.commit()
        flash(_("Your password is changed. Please sign in."), "success")
        return response

    return _password_from_link(token, "reset", _("Reset password"), sign_in_again)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data or None
        session["locale"] = current_user.locale
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            current_user.set_password(form.password.data)
            db.session.commit()
            # The session id embeds the password fingerprint: sign in again under the new one.
            sign_in(current_user._get_current_object())
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)
