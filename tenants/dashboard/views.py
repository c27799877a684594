"""The tenant home page."""

import sqlalchemy as sa
from flask import render_template

from saas.auth.models import Membership
from saas.auth.permissions import permission_required
from saas.extensions import db
from saas.tenancy import tenant_blueprint

bp = tenant_blueprint("dashboard", __name__)


@bp.route("/")
@permission_required("tenant.view")
def index():
    # One grouped query, whatever the number of users.
    by_role = dict(db.session.execute(
        sa.select(Membership.role, sa.func.count(Membership.id)).group_by(Membership.role)
    ).all())
    return render_template("dashboard/index.html", by_role=by_role)
