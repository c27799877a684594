"""Row-level security on PostgreSQL: the second wall behind the ORM's tenant scope.

The first wall is saas/tenancy.py: every ORM statement on a tenant-owned table is filtered by
the tenant in scope, and fails closed without one. It does not see raw SQL, the COPY of
saas/bulk.py, a Core statement or a query written outside the session. This module makes the
database itself refuse those:

- Every tenant-owned table (`TenantScoped`) has row-level security enabled and FORCED, with two
  policies (see `policy_sql`): `tenant_rows` — read and write only the rows whose tenant_id is
  the transaction's `app.tenant_id`; `cross_tenant_reads` — read (never write) every row while
  `app.cross_tenant` is on. Nothing set: no rows.
- The settings are per transaction (`set_config(…, true)`, i.e. SET LOCAL): a connection given
  back to the pool carries nothing to the next request. They are set lazily, on the connection,
  before the first statement that needs a different value (one round trip per transaction, none
  for a request that touches no tenant), from the same context the ORM scope reads
  (`current_tenant_id()`, `cross_tenant_reads()`).
- The app connects as a role that does not own the tables and has no BYPASSRLS (a superuser
  or the owner would pass through: `check_role` says so at start). Migrations run as the owner
  (`DATABASE_OWNER_URL`, migrations/env.py), which then grants the app role what it needs.
  The owner keeps a policy of its own (`owner_maintenance`) so that migrations, backups and the
  platform's purge see every row; on a single-role set-up that makes this wall a no-op, which
  `check_role` reports.

Who reads across tenants, and how (one place, CROSS_TENANT_READERS below): the app role with
`app.cross_tenant` on, only inside `saas.tenancy.cross_tenant_reads(reason)` and only to read;
migrations, backups and ANALYZE as the owner (`owner_maintenance`, saas.database.owner_engine).

SQLite has no row-level security: there the ORM wall is the only one (README, "Deploying").
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)

TENANT_SETTING = "app.tenant_id"
CROSS_SETTING = "app.cross_tenant"

# Tables with a tenant_id that are NOT behind the wall, and why.
UNWALLED = {
    # An API token is looked up by its hash before any tenant is known (the request's tenant
    # comes from the token); it holds a hash, never a tenant's data.
    "api_token": "looked up by hash before the tenant is known",
    # Who has which role in which tenant: read, with the tenant, by the sign-in's one statement
    # (saas/auth/access.py) before any tenant is in scope — it decides whether the tenant is
    # entered at all. It holds no tenant data; the ORM's scope still guards it.
    "membership": "read at sign-in, before the tenant is known, to decide access to it",
}

# The deliberate cross-tenant reads: every module that opens `cross_tenant_reads`, and for what.
# tests/test_rls.py fails when a module of saas/ or tenants/ opens one and is not listed here.
CROSS_TENANT_READERS = {
    "saas/auth/access.py": "account: a user lists their own memberships",
    "saas/auth/services.py": "account: an account's own pending invitations",
    "tenants/deadlines/service.py": "account: a user's own deadlines across their tenants",
    "tenants/visits/home.py": "account: an instructor's own assignments across tenants",
    "tenants/workbench/badge.py": "account: the count of a user's waiting work",
    "tenants/workbench/instructor.py": "account: an instructor's own work across tenants",
    "tenants/workbench/service.py": "bureau: a reviewer's work items across the jurisdiction",
    "tenants/bureau/service.py": "bureau: the figures of the tenants under a bureau",
    "tenants/surveys/services.py": "bureau: response rates and totals of a bureau's questionnaire round per base",
    "tenants/guidance/bureau.py": "bureau: the bases' copies of a bureau's guidance, their files and readers",
    "tenants/applications/flow.py": "jobs: the nightly lapse of recognitions whose term has passed",
}


def tenant_tables(metadata) -> list[str]:
    """Names of the tables behind the wall: every table with a tenant_id but those UNWALLED."""
    return sorted(t.name for t in metadata.sorted_tables if "tenant_id" in t.c and t.name not in UNWALLED)


def policy_sql(table: str) -> list[str]:
    """The statements that put `table` behind the wall (run by the table's owner)."""
    own = f"tenant_id = NULLIF(current_setting('{TENANT_SETTING}', true), '')::integer"
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS tenant_rows ON "{table}"',
        f'CREATE POLICY tenant_rows ON "{table}" USING ({own}) WITH CHECK ({own})',
        f'DROP POLICY IF EXISTS cross_tenant_reads ON "{table}"',
        f"CREATE POLICY cross_tenant_reads ON \"{table}\" FOR SELECT "
        f"USING (current_setting('{CROSS_SETTING}', true) = 'on')",
        f'DROP POLICY IF EXISTS owner_maintenance ON "{table}"',
        f'CREATE POLICY owner_maintenance ON "{table}" TO CURRENT_USER USING (true) WITH CHECK (true)',
    ]


def enable(op, table: str) -> None:
    """For a migration that creates a tenant-owned table: `saas.rls.enable(op, "name")`.
    Nothing on SQLite. tests/test_rls.py fails if a tenant table has no policy."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in policy_sql(table):
        op.execute(statement)


def disable(op, table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ("tenant_rows", "cross_tenant_reads", "owner_maintenance"):
        op.execute(f'DROP POLICY IF EXISTS {name} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')


def grant_app_role(connection, role: str) -> None:
    """What the app role may do: read and write rows (the policies decide which), use the
    sequences. Never own, never TRUNCATE, never DDL. Run by the owner after each migration."""
    quoted = connection.dialect.identifier_preparer.quote(role)
    for statement in (f"GRANT USAGE ON SCHEMA public TO {quoted}",
                      f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
                      f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
                      f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}"):
        connection.exec_driver_sql(statement)


# --- the settings, per transaction ------------------------------------------------------------

_STATE = "rls_settings"  # connection.info key: the (tenant, cross) this transaction has set
_UNKNOWN = object()


def _wanted() -> tuple[str, str]:
    from .tenancy import _cross_tenant, current_tenant_id, flush_tenant_id

    tenant_id = current_tenant_id()
    if tenant_id is None:
        tenant_id = flush_tenant_id()
    return ("" if tenant_id is None else str(int(tenant_id)), "on" if _cross_tenant.get() is not None else "")


def apply(connection) -> None:
    """Give the connection's transaction the settings of the current context, if it has other
    ones. Called before every statement (below) and by code that talks to the driver directly
    (saas/bulk.py's COPY)."""
    wanted = _wanted()
    if connection.info.get(_STATE, ("", "")) == wanted:
        return
    # On a cursor of its own: the statement's cursor may be a server-side one (yield_per,
    # stream_results), on which an execute only DECLAREs a portal that nobody fetches.
    sql = "SELECT set_config(%s, %s, true), set_config(%s, %s, true)"
    dialect = connection.dialect
    try:
        with connection.connection.driver_connection.cursor() as own:
            own.execute(sql, (TENANT_SETTING, wanted[0], CROSS_SETTING, wanted[1]))
    except dialect.loaded_dbapi.Error as error:
        # Raised from a statement event, outside SQLAlchemy's own handling: made SQLAlchemy's
        # here, like any statement's (a server shutting down is an OperationalError, which the
        # app answers with 503; the pool's pre-ping drops the dead connection).
        raise sa.exc.DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                         dialect=dialect) from error
    connection.info[_STATE] = wanted


def install(engine) -> None:
    """Listen on the engine (PostgreSQL only): settings before statements, forgotten with the
    transaction that held them."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.info[_STATE] = ("", "")  # a new transaction starts with nothing set

    @event.listens_for(engine, "rollback_savepoint")
    def _savepoint_rolled_back(conn, name, context):
        conn.info[_STATE] = _UNKNOWN  # SET LOCAL inside it is undone: set again before the next

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        if conn is None or conn.info.get("rls_off"):
            return
        apply(conn)


def check_role(engine) -> str | None:
    """Why this wall does not hold for the app's connection, or None when it does."""
    if engine.dialect.name != "postgresql":
        return "SQLite: no row-level security, the ORM's tenant scope is the only wall"
    with engine.connect() as conn:
        conn.info["rls_off"] = True
        row = conn.execute(sa.text(
            "SELECT r.rolsuper, r.rolbypassrls, EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public' "
            "AND t.tableowner = current_user AND t.tablename = 'tenant') FROM pg_roles r "
            "WHERE r.rolname = current_user")).one()
        conn.info.pop("rls_off", None)
        conn.rollback()
    if row[0]:
        return "the app connects as a superuser, which row-level security does not apply to"
    if row[1]:
        return "the app's role has BYPASSRLS"
    if row[2]:
        return "the app connects as the owner of the tables (set DATABASE_OWNER_URL for migrations and " \
               "connect the app as another role)"
    return None
