"""The reviewer's workbench (/workbench): tabs to do / done / all with their counts, filters
(scheme, year, district, stage), one page of items. Instructors have theirs at /instructor/."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from saas.pagination import page_number
from saas.templating import locale_code
from tenants.schemes.service import schemes

from . import service
from .items import TABS

bp = Blueprint("workbench", __name__, url_prefix="/workbench")


@bp.route("/")
@login_required
def index():
    if not current_user.is_reviewer:
        if current_user.bureau_role == "instructor":
            return redirect(url_for("instructor.home"))
        abort(403)
    tab = request.args.get("tab", "todo")
    tab = tab if tab in TABS else "todo"
    tree = service.bureau_tree(current_user.bureau_id)
    filters = service.parse_filters(request.args, tree)
    bench = service.load(current_user, tab, filters, page_number(), tree=tree)
    today = date.today()
    args = {k: v for k, v in (("scheme", filters.scheme), ("year", filters.year), ("stage", filters.stage),
                              ("district", request.args.get("district") if filters.bureau_ids else None)) if v}
    locale = locale_code()
    return render_template(
        "workbench/index.html", bench=bench, tab=tab, args=args, today=today, tree=tree,
        tabs=service.tab_labels(), stages=service.stage_labels(), empty_message=service.empty_messages()[tab],
        until=service.until, filtered=bool(args),
        scheme_choices=sorted(((code, s.title(locale)) for code, s in schemes().items()), key=lambda c: c[1]),
        years=range(today.year + 1, today.year - 6, -1))
