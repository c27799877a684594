"""Account operations shared by the web views, the admin pages, the CLI and (later) the API."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import url_for
from flask_babel import force_locale, gettext as _

from ..extensions import db
from ..mail import send_mail
from ..tenancy import Bureau, Tenant, tenant_scope, utcnow
from .forms import MIN_PASSWORD
from .models import BUREAU_ROLES, TENANT_ROLES, Membership, User
from .tokens import make_token


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message is for the user."""


def create_user(email: str, name: str, password: str | None = None, *, platform_admin=False,
                bureau: Bureau | None = None, bureau_role: str | None = None) -> User:
    email = User.normalise_email(email)
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(_("This is not a valid email address.")) from exc
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(_("Use %(min)d to %(max)d characters.", min=MIN_PASSWORD, max=128))
    if User.by_email(email) is not None:
        raise AccountError(_("A user with this email already exists."))
    if bureau_role and bureau_role not in BUREAU_ROLES:
        raise AccountError(_("Unknown bureau role."))
    if bureau_role and bureau is None:
        raise AccountError(_("A bureau role needs a bureau."))
    user = User(email=email, name=name.strip(), is_platform_admin=platform_admin,
                bureau=bureau, bureau_role=bureau_role)
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def grant(user: User, tenant: Tenant, role: str, enterprise_id: int | None = None) -> Membership:
    """Give `user` a role in `tenant`, replacing any role they had there."""
    if role not in TENANT_ROLES:
        raise AccountError(_("Unknown role."))
    if role == "enterprise" and enterprise_id is None:
        raise AccountError(_("An enterprise user must be bound to a member enterprise."))
    if role != "enterprise":
        enterprise_id = None
    with tenant_scope(tenant.id):
        membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
        if membership is not None and membership.role == "admin" and role != "admin" \
                and other_admins(membership) == 0:
            raise AccountError(_("A tenant needs at least one administrator."))
        if membership is None:
            membership = Membership(user_id=user.id, tenant_id=tenant.id)
            db.session.add(membership)
        membership.role = role
        membership.enterprise_id = enterprise_id
        db.session.flush()
    return membership


def other_admins(membership: Membership) -> int:
    """Administrators of the membership's tenant besides this one (call inside its scope)."""
    return db.session.scalar(
        sa.select(sa.func.count(Membership.id)).where(Membership.role == "admin", Membership.id != membership.id)
    )


def _locale_for(user: User, tenant: Tenant | None) -> str:
    return user.locale or (tenant.default_locale if tenant else None) or "zh_CN"


def invite(email: str, name: str, tenant: Tenant, role: str, enterprise_id: int | None = None) -> User:
    """Add someone to a tenant; a new user gets a link to set a password, a known one a notice.

    Never changes the role of someone already in the tenant (that is "change role", done on
    purpose); inviting them again with the same role re-sends the mail.
    """
    user = User.by_email(email)
    if user is None:
        user = create_user(email, name)
    elif not user.active:
        raise AccountError(_("This account is deactivated."))
    with tenant_scope(tenant.id):
        current = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
    if current is not None and (current.role, current.enterprise_id) != (role, enterprise_id if role == "enterprise" else None):
        raise AccountError(_("%(email)s already works in this tenant with another role; change the role "
                             "under Users and roles instead.", email=user.email))
    if current is None:
        grant(user, tenant, role, enterprise_id)
    with force_locale(_locale_for(user, tenant)):
        if user.password_hash is None:
            link = url_for("auth.accept_invitation", token=make_token(user, "invite"), _external=True)
            subject = _("You are invited to %(tenant)s", tenant=tenant.name)
            body = _("Hello %(name)s,\n\nYou have been invited to %(tenant)s. Set your password here "
                     "(the link works for 7 days):\n%(link)s\n", name=user.name, tenant=tenant.name, link=link)
        else:
            link = url_for("auth.login", _external=True)
            subject = _("You now have access to %(tenant)s", tenant=tenant.name)
            body = _("Hello %(name)s,\n\nYou can now work in %(tenant)s. Sign in here:\n%(link)s\n",
                     name=user.name, tenant=tenant.name, link=link)
        send_mail(user.email, subject, body)
    return user


def send_reset(email: str) -> None:
    """Mail a reset link when the account exists; say nothing either way (no account probing)."""
    user = User.by_email(email)
    if user is None or not user.active:
        return
    with force_locale(_locale_for(user, None)):
        link = url_for("auth.reset_password", token=make_token(user, "reset"), _external=True)
        send_mail(user.email, _("Reset your password"),
                  _("Hello %(name)s,\n\nSomeone asked to reset your password. If it was you, open this "
                    "link within 2 hours:\n%(link)s\n\nOtherwise ignore this message.\n",
                    name=user.name, link=link))


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
