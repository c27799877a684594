"""The reviewers' queue (/review): applications of the tenants in their bureau's jurisdiction,
waiting for the steps they can take."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from saas.extensions import db
from saas.tenancy import Bureau, Tenant, cross_tenant_reads

from .models import Application

bp = Blueprint("review", __name__, url_prefix="/review")
WAITING = {"district": ("submitted", "district_review"), "city": ("recommended", "city_review", "public_notice")}


@bp.route("/")
@login_required
def queue():
    if not current_user.is_reviewer:
        abort(403)
    bureau = db.session.get(Bureau, current_user.bureau_id)
    ids = bureau.jurisdiction_ids()
    with cross_tenant_reads("a reviewer's queue: applications within the bureau's jurisdiction"):
        rows = db.session.execute(
            sa.select(Application, Tenant).join(Tenant, Tenant.id == Application.tenant_id)
            .where(Tenant.bureau_id.in_(ids), Application.status != "draft")
            .order_by(Application.submitted_at.desc())).all()
    waiting = WAITING["city" if bureau.level in ("city", "province") else "district"]
    from .services import status_labels

    return render_template("applications/queue.html", rows=rows, waiting=waiting, app_status=status_labels())
