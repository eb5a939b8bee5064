"""The database's own guards, tried as a session of the application's role would try them: no
setting it can change, and no statement it may run, rewrites or empties history.

Run with the two roles of the README ("Database roles"), as CI does: MIGRATION_DATABASE_URL
names the owner and DATABASE_URL the application's role.
"""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from apps.controllers.models import Controller
from apps.trail.guards import two_roles
from apps.trail.models import TrailEntry, TrailScrub
from apps.trail.services import history_rows_scrub, trail_seal_pending
from tests.audit.test_trail import guards_off, verify
from tests.factories import ControllerFactory, StaffFactory

HISTORY_TABLE = "controllers_historicalcontroller"
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the guards are PostgreSQL triggers and grants"
)
with_two_roles = pytest.mark.skipif(
    not two_roles(),
    reason="needs the two database roles (MIGRATION_DATABASE_URL), as CI runs the suite",
)


def refused(sql, params=None, match="permission denied|append-only"):
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.fixture
def chained(db):
    controller = ControllerFactory(legal_name="Acme Ltd", contact_name="Ada Example")
    trail_seal_pending()
    return controller


def history_names():
    return list(Controller.history.values_list("legal_name", flat=True))


@on_postgres
@with_two_roles
def test_the_suite_runs_as_the_applications_role(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == settings.DATABASE_APP_USER
    assert settings.MIGRATION_DATABASE["USER"] != settings.DATABASE_APP_USER


@on_postgres
@with_two_roles
def test_migrate_grants_read_and_append_on_history_and_no_more(db):
    role = settings.DATABASE_APP_USER
    checks = {}
    with connection.cursor() as cursor:
        for table in (
            HISTORY_TABLE,
            "trail_trailentry",
            "trail_trailscrub",
            "controllers_controller",
        ):
            for right in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, right])
                checks[(table, right)] = cursor.fetchone()[0]
    granted = {key for key, ok in checks.items() if ok}
    assert granted == {
        (HISTORY_TABLE, "SELECT"),
        (HISTORY_TABLE, "INSERT"),
        ("trail_trailentry", "SELECT"),
        ("trail_trailentry", "INSERT"),
        ("trail_trailscrub", "SELECT"),
        ("controllers_controller", "SELECT"),
        ("controllers_controller", "INSERT"),
        ("controllers_controller", "UPDATE"),
        ("controllers_controller", "DELETE"),
    }


@on_postgres
@with_two_roles
@pytest.mark.parametrize("setting", ["audit.trail_scrub", "app.trail_scrub"])
def test_no_setting_unlocks_history_for_the_applications_role(chained, setting):
    statements = [
        f"UPDATE {HISTORY_TABLE} SET legal_name = 'Forged Ltd'",
        f"DELETE FROM {HISTORY_TABLE}",
        f"TRUNCATE {HISTORY_TABLE}",
        "UPDATE trail_trailentry SET user_repr = 'someone else'",
        "DELETE FROM trail_trailentry",
        "TRUNCATE trail_trailentry CASCADE",
        "INSERT INTO trail_trailscrub (entry_id, fields, reason, scrubbed_at, "
        "before_content_hash, after_content_hash) "
        "SELECT id, '[]', 'forged', now(), content_hash, content_hash FROM trail_trailentry",
    ]
    for sql in statements:
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT set_config(%s, 'on', true)", [setting])
            cursor.execute(sql)
    assert history_names() == ["Acme Ltd"]
    verify()


@on_postgres
@with_two_roles
def test_the_applications_role_can_neither_disable_the_guards_nor_replace_the_scrub(chained):
    refused(f"ALTER TABLE {HISTORY_TABLE} DISABLE TRIGGER USER", match="must be owner")
    refused(
        "CREATE OR REPLACE FUNCTION audit_trail_guard() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NEW; END $$",
        match="must be owner|permission denied",
    )
    refused(f"DROP TRIGGER audit_trail_guard ON {HISTORY_TABLE}", match="must be owner")
    refused(
        "ALTER FUNCTION audit_trail_scrub(text, bigint, jsonb, bigint, text, bigint, text, text) "
        "SECURITY INVOKER",
        match="must be owner",
    )
    assert history_names() == ["Acme Ltd"]


@on_postgres
def test_truncate_is_refused_even_to_the_owner_while_the_guards_stand(chained):
    with connection.cursor() as cursor:
        # TRUNCATE waits for no deferred check of this test's transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if two_roles():
            cursor.execute(f'SET ROLE "{settings.MIGRATION_DATABASE["USER"]}"')
        try:
            for table in (HISTORY_TABLE, "trail_trailentry", "trail_trailscrub"):
                with (
                    pytest.raises(DatabaseError, match="append-only"),
                    transaction.atomic(),
                    connection.cursor() as inner,
                ):
                    inner.execute(f"TRUNCATE {table} CASCADE")
        finally:
            if two_roles():
                cursor.execute("RESET ROLE")
    assert history_names() == ["Acme Ltd"]
    assert TrailEntry.objects.count() == 1


def scrub_call(entry, values='{"contact_name": "[erased]"}', table=HISTORY_TABLE, reason="erasure"):
    return (
        "SELECT audit_trail_scrub(%s, %s, %s::jsonb, %s, %s, NULL, %s, %s)",
        [table, entry.history_id, values, entry.pk, reason, entry.content_hash, entry.content_hash],
    )


@on_postgres
@pytest.mark.parametrize(
    ("values", "table", "reason", "message"),
    [
        ('{"history_user_id": 1}', HISTORY_TABLE, "erasure", "may not be scrubbed"),
        (
            '{"history_date": "2020-01-01T00:00:00Z"}',
            HISTORY_TABLE,
            "erasure",
            "may not be scrubbed",
        ),
        ('{"id": 99}', HISTORY_TABLE, "erasure", "may not be scrubbed"),
        ('{"no_such_column": "x"}', HISTORY_TABLE, "erasure", "may not be scrubbed"),
        ('{"legal_name": "x"}', "controllers_controller", "erasure", "not a history table"),
        ('{"legal_name": "x"}', "accounts_user", "erasure", "not a history table"),
        ('{"contact_name": "x"}', HISTORY_TABLE, "  ", "a reason is required"),
        ("{}", HISTORY_TABLE, "erasure", "name the fields"),
    ],
)
def test_the_scrub_function_refuses_what_is_not_a_scrub(chained, values, table, reason, message):
    entry = TrailEntry.objects.get()
    sql, params = scrub_call(entry, values=values, table=table, reason=reason)
    refused(sql, params, match=message)
    assert list(Controller.history.values_list("contact_name", flat=True)) == ["Ada Example"]
    assert not TrailScrub.objects.exists()


@on_postgres
def test_the_scrub_function_refuses_an_entry_of_another_row(chained):
    other = ControllerFactory()
    trail_seal_pending()
    entry = TrailEntry.objects.get(object_id=str(chained.pk))
    wrong = TrailEntry.objects.get(object_id=str(other.pk))
    sql, params = scrub_call(entry)
    params[3] = wrong.pk
    refused(sql, params, match="does not seal")
    assert not TrailScrub.objects.exists()


@on_postgres
def test_a_scrub_changes_only_the_named_fields_and_the_database_records_it(chained):
    officer = StaffFactory()
    trail_seal_pending()
    count = history_rows_scrub(
        rows=Controller.history.filter(id=chained.pk),
        values={"contact_name": "[erased]"},
        by=officer,
        reason="Erasure request DSAR-1",
    )
    assert count == 1
    row = Controller.history.get(id=chained.pk)
    assert (row.contact_name, row.legal_name) == ("[erased]", "Acme Ltd")
    scrub = TrailScrub.objects.get()
    assert scrub.fields == ["contact_name"]
    assert scrub.reason == "Erasure request DSAR-1"
    assert scrub.scrubbed_by_id == officer.pk
    assert scrub.entry.object_id == str(chained.pk)
    assert scrub.before_content_hash != scrub.after_content_hash
    verify()


@on_postgres
def test_guards_off_needs_the_owner_and_is_what_the_chain_check_catches(chained):
    with guards_off(HISTORY_TABLE), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {HISTORY_TABLE} SET legal_name = 'Forged Ltd'")
    assert history_names() == ["Forged Ltd"]
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="altered"):
        verify()
