"""Account operations shared by the web views, the admin pages, the CLI and (later) the API."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, gettext as _

from ..extensions import db
from ..links import public_url
from ..mail import send_mail
from ..tenancy import Bureau, Tenant, cross_tenant_reads, tenant_scope, utcnow
from .forms import MIN_PASSWORD
from .models import BUREAU_ROLES, TENANT_ROLES, Membership, TenantInvitation, User
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


def invite(email: str, name: str, tenant: Tenant, role: str, enterprise_id: int | None = None, *,
           invited_by: User | None = None, needs_acceptance: bool = True) -> User:
    """Add someone to a tenant. A new address gets an account and a link to set its password;
    an existing account gets an invitation its owner accepts or declines (`accept_invitation`):
    a tenant admin must not be able to pull someone else's account — a platform admin's, a
    reviewer's — into their tenant and read it. Only the platform admin seeding a tenant's first
    administrator grants at once (`needs_acceptance=False`).

    Never changes the role of someone already in the tenant (that is "change role", done on
    purpose); inviting them again with the same role re-sends the mail.
    """
    user = User.by_email(email)
    created = user is None
    if created:
        user = create_user(email, name)
    elif not user.active:
        raise AccountError(_("This account is deactivated."))
    enterprise_id = enterprise_id if role == "enterprise" else None
    with tenant_scope(tenant.id):
        current = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
        if current is not None and (current.role, current.enterprise_id) != (role, enterprise_id):
            raise AccountError(_("%(email)s already works in this tenant with another role; change the role "
                                 "under Users and roles instead.", email=user.email))
        pending = None
        if current is None and not created and needs_acceptance:
            pending = _pending_invitation(user, tenant, role, enterprise_id, invited_by)
    if current is None and pending is None:
        grant(user, tenant, role, enterprise_id)
    with force_locale(_locale_for(user, tenant)):
        if pending is not None:
            link = public_url("auth.home")
            subject = _("You are invited to %(tenant)s", tenant=tenant.name)
            body = _("Hello %(name)s,\n\n%(tenant)s invites you to work there as %(role)s. Sign in to accept "
                     "or decline (the invitation is valid for 7 days):\n%(link)s\n\nNothing changes until "
                     "you accept.\n", name=user.name, tenant=tenant.name, role=role_label(role), link=link)
        elif user.password_hash is None:
            link = public_url("auth.accept_invitation", token=make_token(user, "invite"))
            subject = _("You are invited to %(tenant)s", tenant=tenant.name)
            body = _("Hello %(name)s,\n\nYou have been invited to %(tenant)s. Set your password here "
                     "(the link works for 7 days):\n%(link)s\n", name=user.name, tenant=tenant.name, link=link)
        else:
            link = public_url("auth.login")
            subject = _("You now have access to %(tenant)s", tenant=tenant.name)
            body = _("Hello %(name)s,\n\nYou can now work in %(tenant)s. Sign in here:\n%(link)s\n",
                     name=user.name, tenant=tenant.name, link=link)
        send_mail(user.email, subject, body)
    return user


def role_label(role: str) -> str:
    return {"admin": _("Administrator"), "staff": _("Staff"), "enterprise": _("Enterprise user"),
            "instructor": _("Instructor")}.get(role, role)


def _pending_invitation(user: User, tenant: Tenant, role: str, enterprise_id: int | None,
                        invited_by: User | None) -> TenantInvitation:
    """The account's invitation into the tenant in scope, made or renewed (a second invitation
    replaces the first: one pending invitation per account and tenant)."""
    invitation = db.session.scalar(sa.select(TenantInvitation).where(TenantInvitation.user_id == user.id))
    if invitation is None:
        invitation = TenantInvitation(user_id=user.id, tenant_id=tenant.id)
        db.session.add(invitation)
    invitation.role, invitation.enterprise_id = role, enterprise_id
    invitation.invited_by_id = invited_by.id if invited_by is not None else None
    invitation.created_at = utcnow()
    db.session.flush()
    return invitation


def pending_invitations(user: User) -> list[tuple[TenantInvitation, Tenant]]:
    """The account's own invitations still open, newest first, across tenants."""
    oldest = utcnow() - timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])
    with cross_tenant_reads("an account's own pending invitations"):
        return [tuple(r) for r in db.session.execute(
            sa.select(TenantInvitation, Tenant).join(Tenant, Tenant.id == TenantInvitation.tenant_id)
            .where(TenantInvitation.user_id == user.id, TenantInvitation.created_at >= oldest,
                   Tenant.status == "active")
            .order_by(TenantInvitation.created_at.desc()))]


def respond_to_invitation(user: User, invitation_id: int, accept: bool) -> Tenant | None:
    """Accept (the role is granted) or decline (nothing is granted) the account's own invitation;
    None when there is no such open invitation for this account."""
    found = next(((i, t) for i, t in pending_invitations(user) if i.id == invitation_id), None)
    if found is None:
        return None
    invitation, tenant = found
    with tenant_scope(tenant.id):
        # Compare-and-delete: of two clicks (or two tabs) only one answers.
        gone = db.session.execute(sa.delete(TenantInvitation).where(TenantInvitation.id == invitation.id)
                                  .execution_options(synchronize_session=False)).rowcount
        if not gone:
            return None
        if accept:
            member = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
            if member is None:
                grant(user, tenant, invitation.role, invitation.enterprise_id)
    return tenant


def send_reset(email: str) -> None:
    """Mail a reset link when the account exists; say nothing either way (no account probing)."""
    user = User.by_email(email)
    if user is None or not user.active:
        return
    with force_locale(_locale_for(user, None)):
        link = public_url("auth.reset_password", token=make_token(user, "reset"))
        send_mail(user.email, _("Reset your password"),
                  _("Hello %(name)s,\n\nSomeone asked to reset your password. If it was you, open this "
                    "link within 2 hours:\n%(link)s\n\nOtherwise ignore this message.\n",
                    name=user.name, link=link))


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
