from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import render_template, request

from saas.audit import ACTIONS, AuditEvent, user_names
from saas.auth.permissions import permission_required
from saas.extensions import db
from saas.numbers import db_id
from saas.pagination import paginate
from saas.tenancy import tenant_blueprint

bp = tenant_blueprint("audit", __name__, "/audit")


def _day(value: str):
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except (TypeError, ValueError):
        return None


@bp.route("/")
@permission_required("audit.view")
def index():
    args = {k: (request.args.get(k) or "").strip() for k in ("type", "action", "user", "q", "from", "to")}
    select = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if args["type"]:
        select = select.where(AuditEvent.object_type == args["type"])
    if args["action"] in ACTIONS:
        select = select.where(AuditEvent.action == args["action"])
    if args["user"]:  # not an id the database could hold ("abc", "²", 10^30): nobody's
        select = select.where(AuditEvent.user_id == request.args.get("user", 0, type=db_id))
    if args["q"]:
        select = select.where(AuditEvent.label.icontains(args["q"], autoescape=True))
    if _day(args["from"]):
        select = select.where(AuditEvent.created_at >= _day(args["from"]))
    if _day(args["to"]):
        select = select.where(AuditEvent.created_at < _day(args["to"]) + timedelta(days=1))
    page = paginate(select)
    names = user_names(page.items)
    types = list(db.session.scalars(sa.select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))
    return render_template("audit/index.html", page=page, events=page.items, args={k: v for k, v in args.items() if v},
                           names=names, types=types, actions=ACTIONS)
