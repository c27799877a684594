"""Page-number pagination for list pages: one COUNT and one page query, whatever the size."""

from __future__ import annotations

from flask import request

from .extensions import db

PER_PAGE = 50


def paginate(select, per_page: int = PER_PAGE):
    page = request.args.get("page", 1, type=int) or 1
    return db.paginate(select, page=max(page, 1), per_page=per_page, max_per_page=200, error_out=False)
