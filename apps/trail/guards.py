"""Database guards: on PostgreSQL, history tables and the trail refuse UPDATE, DELETE and
TRUNCATE, and the application's role may only read and append them.

Two roles (README, "Database roles"): migrations run as the role of MIGRATION_DATABASE_URL,
which owns every table; the application runs as the role of DATABASE_URL, which `migrate`
grants SELECT and INSERT on history and the trail, and nothing more. Personal data leaves a
history row through one SECURITY DEFINER function, `audit_trail_scrub`, which records every
change it makes as a scrub; no setting a session can change opens that door, because the
application's role holds no UPDATE right on history to use it with.

With a single role (no MIGRATION_DATABASE_URL) the triggers still refuse every change, but the
role owns the tables and could drop them; `verify_audit_trail` is what shows that.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from apps.core.history import is_history_table_model

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION audit_trail_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- audit.trail_scrub is set only inside audit_trail_scrub(), and only a role with UPDATE on
    -- the table (the owner, through that function) gets this far with an UPDATE.
    IF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'scrubbable'
       AND coalesce(current_setting('audit.trail_scrub', true), '') = 'on' THEN
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
CREATE OR REPLACE TRIGGER audit_trail_truncate_guard BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_guard('{mode}');
"""

# Columns a scrub never rewrites: which row this is, when, by whom and what kind of change.
FIXED_COLUMNS = ("id", "history_id", "history_date", "history_type", "history_user_id")

SCRUB_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION audit_trail_scrub(
    p_table text, p_history_id bigint, p_values jsonb, p_entry_id bigint,
    p_reason text, p_by bigint, p_before text, p_after text
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    target regclass;
    bad text;
    assignments text;
    changed integer;
    scrub_id bigint;
BEGIN
    IF NOT (p_table = ANY (ARRAY[{tables}]::text[])) THEN
        RAISE EXCEPTION 'audit trail scrub: % is not a history table', p_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    target := p_table::regclass;
    IF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'audit trail scrub: a reason is required';
    END IF;
    IF p_values IS NULL OR jsonb_typeof(p_values) <> 'object' OR p_values = '{{}}'::jsonb THEN
        RAISE EXCEPTION 'audit trail scrub: name the fields to scrub';
    END IF;
    SELECT k INTO bad FROM jsonb_object_keys(p_values) AS k
     WHERE k = ANY (ARRAY[{fixed}]::text[])
        OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = target
                        AND a.attname = k AND a.attnum > 0 AND NOT a.attisdropped)
     LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'audit trail scrub: % may not be scrubbed on %', bad, p_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM trail_trailentry e WHERE e.id = p_entry_id
                    AND e.history_id = p_history_id) THEN
        RAISE EXCEPTION 'audit trail scrub: entry % does not seal row %', p_entry_id, p_history_id;
    END IF;
    SELECT string_agg(format('%I = v.%I', k, k), ', ' ORDER BY k) INTO assignments
      FROM jsonb_object_keys(p_values) AS k;
    PERFORM set_config('audit.trail_scrub', 'on', true);
    EXECUTE format(
        'UPDATE %s AS t SET %s FROM jsonb_populate_record(NULL::%s, $1) AS v WHERE t.history_id = $2',
        target, assignments, target
    ) USING p_values, p_history_id;
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('audit.trail_scrub', 'off', true);
    IF changed <> 1 THEN
        RAISE EXCEPTION 'audit trail scrub: no row % in %', p_history_id, p_table;
    END IF;
    INSERT INTO trail_trailscrub
        (entry_id, fields, reason, scrubbed_by_id, scrubbed_at,
         before_content_hash, after_content_hash)
    VALUES (p_entry_id,
            (SELECT jsonb_agg(k ORDER BY k) FROM jsonb_object_keys(p_values) AS k),
            left(p_reason, 300), p_by, now(), p_before, p_after)
    RETURNING id INTO scrub_id;
    RETURN scrub_id;
END
$$;
REVOKE ALL ON FUNCTION audit_trail_scrub(text, bigint, jsonb, bigint, text, bigint, text, text)
    FROM PUBLIC;
"""

# The trail's own tables: entries and scrubs are never changed; marks are deleted once chained.
TRAIL_TABLES = ("trail_trailentry", "trail_trailscrub")
MARK_TABLE = "trail_trailmark"


def guarded_tables(apps) -> list[str]:
    tables = [m._meta.db_table for m in apps.get_models() if is_history_table_model(m)]
    return sorted(set(tables))


def _quote_literals(values) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def install_trail_guards(apps=None, using="default") -> list[str]:
    """Create or refresh the guard triggers on every history table and the trail, and the scrub
    function; returns the tables guarded. Run as the tables' owner (after every migrate)."""
    if apps is None:
        apps = global_apps
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    existing = set(connection.introspection.table_names())
    tables = [t for t in guarded_tables(apps) if t in existing]
    trail_tables = [t for t in TRAIL_TABLES if t in existing]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        for table in tables:
            cursor.execute(TRIGGER_SQL.format(table=quote(table), mode="scrubbable"))
        for table in trail_tables:
            cursor.execute(TRIGGER_SQL.format(table=quote(table), mode="sealed"))
        if tables and "trail_trailscrub" in existing:
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
            cursor.execute(
                SCRUB_FUNCTION_SQL.format(
                    schema=quote(schema),
                    tables=_quote_literals(tables),
                    fixed=_quote_literals(FIXED_COLUMNS),
                )
            )
    return tables + trail_tables


def app_role_grants(*, role: str, history_tables: list[str], connection) -> list[str]:
    """The application role's rights: everything on ordinary tables but TRUNCATE; only SELECT and
    INSERT on history and the trail; SELECT on scrubs (the scrub function writes them), marks
    also DELETE (the sealer removes a mark once chained); the migration ledger read-only."""
    quote = connection.ops.quote_name
    role_q = quote(role)
    append_only = [*history_tables, "trail_trailentry"]
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role_q}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role_q}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role_q}",
        # UPDATE: setval, which an import uses to move a sequence past the ids it wrote.
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role_q}",
        f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {role_q}",
        f"REVOKE INSERT, UPDATE, DELETE ON trail_trailscrub FROM {role_q}",
        f"REVOKE UPDATE ON {quote(MARK_TABLE)} FROM {role_q}",
    ]
    statements += [f"REVOKE UPDATE, DELETE ON {quote(t)} FROM {role_q}" for t in append_only]
    statements.append(
        "GRANT EXECUTE ON FUNCTION "
        "audit_trail_scrub(text, bigint, jsonb, bigint, text, bigint, text, text) "
        f"TO {role_q}"
    )
    return statements


def grant_app_role(*, role: str, apps=None, using: str = "default") -> None:
    """Give the application's role its rights on every table (run by `migrate`, as the owner)."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    history_tables = [t for t in guarded_tables(apps or global_apps) if t in existing]
    with connection.cursor() as cursor:
        for statement in app_role_grants(
            role=role, history_tables=history_tables, connection=connection
        ):
            cursor.execute(statement)


def two_roles() -> bool:
    """True when migrations and the application use different database roles."""
    owner: dict | None = getattr(settings, "MIGRATION_DATABASE", None)
    return owner is not None and owner.get("USER") != settings.DATABASE_APP_USER


def is_owner_connection(using: str = "default") -> bool:
    """Whether `using` is connected as the tables' owner (always, with a single role)."""
    if not two_roles():
        return True
    return connections[using].settings_dict.get("USER") == (settings.MIGRATION_DATABASE or {}).get("USER")


CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def use_credentials(connection: BaseDatabaseWrapper, credentials: dict) -> None:
    """Reconnect `connection` with other credentials (the same database), pool switched off."""
    connection.close()
    options = dict(connection.settings_dict.get("OPTIONS") or {})
    if "pool" in options:
        connection.close_pool()  # type: ignore[attr-defined]
        options.pop("pool")
        connection.settings_dict["OPTIONS"] = options
    connection.settings_dict.update({k: credentials.get(k) or "" for k in CREDENTIALS})


@contextmanager
def owner_connection(using: str = "default") -> Iterator[BaseDatabaseWrapper]:
    """Run the block connected as the tables' owner (MIGRATION_DATABASE_URL), when configured."""
    connection = connections[using]
    # Inside a transaction the connection cannot change hands: the block runs as it is.
    if connection.vendor != "postgresql" or not two_roles() or connection.in_atomic_block:
        yield connection
        return
    saved = {k: connection.settings_dict.get(k) for k in CREDENTIALS}
    saved_options = connection.settings_dict.get("OPTIONS")
    use_credentials(connection, settings.MIGRATION_DATABASE or {})
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)
        if saved_options is not None:
            connection.settings_dict["OPTIONS"] = saved_options
