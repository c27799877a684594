"""Many new rows of one table at once (imports): PostgreSQL's COPY, an executemany elsewhere."""

from __future__ import annotations

import json

import sqlalchemy as sa

from .extensions import db
from .tenancy import TenantScopeError, current_tenant_id
from .tenant_cache import note_written


def insert_rows(table: sa.Table, rows: list[dict], key: str | None = None) -> None:
    """INSERT `rows` (dicts with the same keys) into `table` in the session's transaction, with
    the column defaults an INSERT statement would apply. Rows of a tenant's table must belong to
    the tenant in scope. With `key` (a column unique among the new rows), each row gets its new
    "id". On PostgreSQL the rows go in by COPY: an executemany of 8,000 rows spends most of an
    import's time in the driver, COPY a tenth of that."""
    if not rows:
        return
    scoped = "tenant_id" in table.c
    if scoped:
        tenant_id = current_tenant_id()
        if tenant_id is None or any(row["tenant_id"] != tenant_id for row in rows):
            raise TenantScopeError(f"bulk insert into {table.name} outside the tenant in scope")
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        # Without RETURNING, which SQLite runs row by row: the ids afterwards, by key.
        db.session.execute(sa.insert(table), rows)
        if key is not None:
            # A Core select: the tenant filter is ours to write (keys repeat across tenants).
            query = sa.select(table.c[key], table.c.id).where(table.c[key].in_([row[key] for row in rows]))
            if scoped:
                query = query.where(table.c.tenant_id == tenant_id)
            ids = dict(db.session.execute(query).all())
            for row in rows:
                row["id"] = ids[row[key]]
        return
    if key is not None:
        # The ids from the table's sequence first, in one round trip, so COPY writes them.
        ids = db.session.execute(sa.select(sa.func.nextval(sa.func.pg_get_serial_sequence(table.name, "id")))
                                 .select_from(sa.func.generate_series(1, len(rows)))).scalars()
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
    # COPY is not a statement the session sees: tell the tenant cache this tenant's table changed
    # (its version moves; rows kept from this table are recomputed: tables_written).
    note_written(db.session, rows[0].get("tenant_id"), table.name)
    given = list(rows[0])
    # Columns the rows leave out: a Python-side default is applied here as SQLAlchemy would;
    # server defaults and the serial primary key are left to the database.
    defaults = [c for c in table.columns if c.key not in rows[0] and c.default is not None]
    columns = [table.c[name] for name in given] + defaults
    json_columns = {i for i, c in enumerate(columns) if isinstance(c.type, sa.JSON)}
    quote = connection.dialect.identifier_preparer
    names = ", ".join(quote.format_column(c) for c in columns)
    target = quote.format_table(table)
    # PostgreSQL refuses COPY FROM into a table under row-level security (saas/rls.py): a
    # tenant's rows are copied into a temporary table of the same shape, then moved by one
    # INSERT … SELECT, which the policies check row by row — still one round trip for the rows.
    staging = quote.quote(f"bulk_{table.name}") if scoped else None
    copy_sql = f"COPY {staging or target} ({names}) FROM STDIN"
    dialect = connection.dialect
    from .rls import apply

    apply(connection)  # COPY goes to the driver: the transaction's tenant for row-level security
    try:
        with connection.connection.driver_connection.cursor() as cursor:
            if staging:
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {target} INCLUDING DEFAULTS) "
                               f"ON COMMIT DELETE ROWS")
            with cursor.copy(copy_sql) as copy:
                for row in rows:
                    values = [row[name] for name in given] + [_default(c) for c in defaults]
                    for i in json_columns:
                        values[i] = None if values[i] is None else json.dumps(values[i])
                    copy.write_row(values)
            if staging:
                cursor.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {staging}")
                cursor.execute(f"TRUNCATE {staging}")
    except dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy's own, like any statement's: a unique key another transaction has just
        # written is an IntegrityError (imports catch it), a lost server an OperationalError.
        raise sa.exc.DBAPIError.instance(copy_sql, None, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                         dialect=dialect) from error


def _default(column: sa.Column):
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps every callable default to take a context
    raise TypeError(f"{column} has a default COPY cannot apply: {default!r}")
