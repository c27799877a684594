"""/review, the reviewers' queue before the workbench: kept as a way into it (bookmarks, old
links in mails), with the same query string."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/")
@login_required
def queue():
    if not current_user.is_reviewer:
        abort(403)
    return redirect(url_for("workbench.index", **request.args.to_dict()))
