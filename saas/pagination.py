"""Page-number pagination for list pages: one COUNT and one page query, whatever the size."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_sqlalchemy.pagination import Pagination, SelectPagination

from .extensions import db
from .numbers import whole

PER_PAGE = 50
MAX_PAGE = 1_000_000  # beyond it the offset would outgrow the database's integers; page 1 instead


class RowPagination(SelectPagination):
    """Pages of result rows (several columns), where db.paginate gives the first column only."""

    def _query_items(self) -> list:
        paged = self._query_args["paged"]
        if paged is not None:
            return list(self._query_args["session"].execute(
                paged, {"page_limit": self.per_page, "page_offset": self._query_offset}).all())
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def page_number() -> int:
    return request.args.get("page", 1, type=whole(1, MAX_PAGE))


def paginate(select, per_page: int = PER_PAGE):
    return db.paginate(select, page=page_number(), per_page=per_page, max_per_page=200, error_out=False)


def paginate_rows(select, per_page: int = PER_PAGE, total: int | None = None, paged=None) -> RowPagination:
    """`total`: how many rows `select` gives, when the caller knows it already (a figure the rows
    are behind): then no COUNT is sent. `paged`: the statement of one page, when it is not
    `select` with a LIMIT and OFFSET (its bound parameters `page_limit` and `page_offset`, see
    `page_params`): a long-lived statement, whose tenant scope is kept (saas.tenancy.scoped), or
    one that adds columns only the page's rows need."""
    page = RowPagination(select=select, session=db.session(), page=page_number(), per_page=per_page,
                         max_per_page=200, error_out=False, count=total is None, paged=paged)
    if total is not None:
        page.total = total
    return page


class ListPagination(Pagination):
    """A page of a list already in memory (a bureau's rows from the cache): the object the pager
    macro reads, without a query."""

    def _query_items(self) -> list:
        return self._query_args["items"][self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_list(items: list, per_page: int = PER_PAGE) -> ListPagination:
    return ListPagination(items=items, page=page_number(), per_page=per_page, max_per_page=200, error_out=False)


def page_params(select):
    """`select` cut to one page by the bound parameters `paged` statements take (paginate_rows)."""
    return select.limit(sa.bindparam("page_limit", type_=sa.Integer)).offset(
        sa.bindparam("page_offset", type_=sa.Integer))
