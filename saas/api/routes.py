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
from ..extensions import csrf, db, limiter
from ..numbers import db_id, whole
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
MAX_DAYS = 3650  # a token's longest lifetime when it has one: ten years


@pages.route("/", methods=["GET", "POST"])
@login_required
def index():
    tenants = {t.id: t for t, _role in reachable_tenants(current_user)}
    raw = None
    if request.method == "POST":
        csrf.protect()  # a missing or stale token is a 400, as on every other form
        tenant = tenants.get(request.form.get("tenant_id", type=db_id))
        if tenant is None:
            abort(404)
        days = (request.form.get("days") or "").strip()
        try:
            expires = utcnow() + timedelta(days=whole(1, MAX_DAYS)(days)) if days else None
        except ValueError:
            flash(_("Expires in days: a whole number from 1 to %(max)d, or empty for a token that does not expire.",
                    max=MAX_DAYS), "danger")
        else:
            _token, raw = tokens.issue(current_user, tenant, request.form.get("name", ""), expires)
            db.session.commit()
            flash(_("Copy the token now: it is shown only once."), "warning")
    rows = db.session.scalars(sa.select(tokens.ApiToken).where(tokens.ApiToken.user_id == current_user.id)
                              .order_by(tokens.ApiToken.id.desc())).all()
    return render_template("auth/tokens.html", rows=rows, tenants=tenants, raw=raw, max_days=MAX_DAYS)


@pages.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    csrf.protect()
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
@click.option("--days", type=click.IntRange(1, MAX_DAYS), default=None, help="Expire after this many days.")
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
