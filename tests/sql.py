"""Counting the SQL statements a block of code sends (tests of constant SQL per page)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from saas.extensions import db


@contextmanager
def statements():
    """Yields the list of statements sent inside the block, filled as they go."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
