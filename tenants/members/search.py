"""The enterprise picker's server side (issue 22, size of a real association): a JSON search of
this tenant's members by name or credit code, at most LIMIT matches, one SQL statement.

Every form that picks a member enterprise renders a plain <select> (or a text field taking a name
or credit code) marked with `picker_attrs()`; saas/static/app.js turns it into a type-ahead
combobox asking this endpoint. Without JavaScript the plain field still works."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import gettext as _

from saas.auth.permissions import can, permission_required
from saas.extensions import db

from .blueprint import bp
from .models import Enterprise

LIMIT = 20
QUERY_MAX = 100  # characters of a search: more is no name


def search(q: str, limit: int = LIMIT, withdrawn: bool = False) -> list[dict]:
    """Members whose name contains `q` or whose credit code starts with it (case-insensitive),
    names starting with `q` first. The tenant scope (and row-level security) keeps the other
    tenants' members out."""
    q = (q or "").strip()[:QUERY_MAX]
    if not q:
        return []
    code = q.replace(" ", "").upper()
    select = (sa.select(Enterprise.id, Enterprise.name, Enterprise.credit_code, Enterprise.status)
              .where(sa.or_(Enterprise.name.icontains(q, autoescape=True),
                            Enterprise.credit_code.startswith(code, autoescape=True)))
              .order_by(sa.case((Enterprise.name.istartswith(q, autoescape=True), 0), else_=1),
                        Enterprise.name, Enterprise.id)
              .limit(limit))
    if not withdrawn:
        select = select.where(Enterprise.status != "withdrawn")
    return [{"id": r.id, "name": r.name, "credit_code": r.credit_code, "withdrawn": r.status == "withdrawn"}
            for r in db.session.execute(select)]


@bp.route("/search")
@permission_required("members.list")  # who may read the roster may search it
def search_json():
    return jsonify({"results": search(request.args.get("q", ""))})


def picker_attrs(**extra) -> dict:
    """The render_kw (or template attributes) that mark a field as a searchable picker; none
    for a role that may not search the roster (the plain field stays)."""
    if not can("members.list"):
        return dict(extra)
    return {"data-picker": url_for("members.search_json"), "data-picker-none": _("No member matches."),
            "autocomplete": "off", **extra}
