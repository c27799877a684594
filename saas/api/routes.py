"""Non-tenant API routes (OpenAPI document, bureau overview), token management pages and the
`flask tokens create` command."""

from __future__ import annotations

from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.access import reachable_tenants
from ..extensions import db, limiter
from ..tenancy import Bureau, Tenant, utcnow
from . import bp, throttled, tokens
from .errors import ApiError
from .openapi import document


@bp.route("/openapi.json")
@limiter.exempt
def openapi():
    return document()


@bp.route("/bureaus/<int:bureau_id>/overview")
@throttled
def bureau_overview(bureau_id):
    from tenants.bureau.service import jurisdiction, totals

    from . import authenticate

    token = authenticate()
    user = token.user
    if not user.is_reviewer or user.bureau_id != bureau_id:
        raise ApiError(404)
    bureau = db.session.get(Bureau, bureau_id)
    try:
        year = int(request.args.get("year", date.today().year))
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        raise ApiError(400, "year is a year from 2000 to 2100", {"year": "YYYY"})
    rows = jurisdiction(bureau, year)
    return {"bureau": {"id": bureau.id, "name": bureau.name, "level": bureau.level}, "year": year,
            "totals": totals(rows),
            "tenants": [{"slug": r.tenant.slug, "name": r.tenant.name, "active_members": r.active,
                         "demonstration_units": r.demonstration, "trained_enterprise_ratio": r.trained_ratio,
                         "stations": r.stations, "recognised": r.recognised, "application_status": r.application or None,
                         "readiness_score": r.score} for r in rows]}


# Token pages (in the user's account) ---------------------------------------------------------

pages = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@pages.route("/", methods=["GET", "POST"])
@login_required
def index():
    tenants = {t.id: t for t, _role in reachable_tenants(current_user)}
    raw = None
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf

        validate_csrf(request.form.get("csrf_token"))
        tenant = tenants.get(request.form.get("tenant_id", type=int))
        if tenant is None:
            abort(404)
        days = request.form.get("days", type=int)
        expires = utcnow() + timedelta(days=days) if days and days > 0 else None
        _token, raw = tokens.issue(current_user, tenant, request.form.get("name", ""), expires)
        db.session.commit()
        flash(_("Copy the token now: it is shown only once."), "warning")
    rows = db.session.scalars(sa.select(tokens.ApiToken).where(tokens.ApiToken.user_id == current_user.id)
                              .order_by(tokens.ApiToken.id.desc())).all()
    return render_template("auth/tokens.html", rows=rows, tenants=tenants, raw=raw)


@pages.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    from flask_wtf.csrf import validate_csrf

    validate_csrf(request.form.get("csrf_token"))
    token = db.session.get(tokens.ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    tokens.revoke(token)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("tokens.index"))


@click.group("tokens", help="API tokens.")
def tokens_cli():
    pass


@tokens_cli.command("create")
@click.argument("email")
@click.option("--tenant", "slug", required=True)
@click.option("--name", default="cli")
@click.option("--days", type=int, default=None, help="Expire after this many days.")
@with_appcontext
def create_command(email, slug, name, days):
    """Create a token for EMAIL in the tenant SLUG and print it (shown only here)."""
    from ..auth.access import resolve_access
    from ..auth.models import User
    from ..tenancy import tenant_scope

    user = User.by_email(email)
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if user is None or tenant is None:
        raise click.ClickException("no such user or tenant")
    with tenant_scope(tenant.id):
        if resolve_access(user, tenant) is None:
            raise click.ClickException(f"{email} has no role in {slug}")
    _token, raw = tokens.issue(user, tenant, name, utcnow() + timedelta(days=days) if days else None)
    db.session.commit()
    click.echo(raw)
