"""Database guards: on PostgreSQL, history tables and the trail refuse UPDATE and DELETE.

The one way through is the scrub of personal data, which sets a transaction-local flag
(`allow_history_scrub`). A superuser can still disable triggers; the chain check
(`verify_audit_trail`) is what shows that.
"""

from contextlib import contextmanager

from django.apps import apps as global_apps
from django.db import connections, transaction

from apps.core.history import is_history_table_model

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION audit_trail_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'scrubbable'
       AND coalesce(current_setting('app.trail_scrub', true), '') = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit trail: % on % is refused; history is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

TRIGGER_SQL = """
CREATE OR REPLACE TRIGGER audit_trail_guard BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION audit_trail_guard('{mode}');
"""

TRAIL_TABLES = ("trail_trailentry", "trail_trailscrub")


def guarded_tables(apps) -> list[str]:
    tables = [m._meta.db_table for m in apps.get_models() if is_history_table_model(m)]
    return sorted(set(tables))


def install_trail_guards(apps=None, using="default") -> list[str]:
    """Create or refresh the guard trigger on every history table; returns the tables guarded."""
    if apps is None:
        apps = global_apps
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    existing = set(connection.introspection.table_names())
    tables = [t for t in guarded_tables(apps) if t in existing]
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        for table in tables:
            cursor.execute(
                TRIGGER_SQL.format(table=connection.ops.quote_name(table), mode="scrubbable")
            )
        for table in TRAIL_TABLES:
            if table in existing:
                cursor.execute(
                    TRIGGER_SQL.format(table=connection.ops.quote_name(table), mode="sealed")
                )
    return tables + [t for t in TRAIL_TABLES if t in existing]


@contextmanager
def allow_history_scrub(using="default"):
    """Let this transaction UPDATE history rows (the scrub of personal data); no-op on SQLite.

    SET LOCAL ends with the transaction, and is switched off again when the block ends, so
    nothing after the block inherits the permission.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL app.trail_scrub = 'on'")
        yield
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL app.trail_scrub = 'off'")
