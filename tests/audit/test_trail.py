import datetime
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.controllers.models import Controller
from apps.processors.models import ProcessingActivity
from apps.trail.guards import two_roles
from apps.trail.models import Door, TrailEntry, TrailMark, TrailScrub
from apps.trail.services import history_rows_scrub, trail_seal_pending
from tests.factories import (
    ControllerFactory,
    MembershipFactory,
    ProcessingActivityFactory,
    SecurityMeasureFactory,
    SubprocessorFactory,
)

TRAIL_URL = reverse("admin:trail_trailentry_changelist")
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database triggers exist only on PostgreSQL"
)


@contextmanager
def guards_off(*tables):
    """What an attacker with the table owner's rights does first on PostgreSQL: become the owner
    (when the application runs as its own role) and switch the triggers off."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred constraint checks of this transaction are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if two_roles():
            cursor.execute(f"SET ROLE {connection.ops.quote_name(settings.MIGRATION_DATABASE['USER'])}")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        if two_roles():
            cursor.execute("RESET ROLE")


HISTORY_TABLE = "controllers_historicalcontroller"
# The trigger's refusal, or the privilege check's when the application runs as its own role.
REFUSED = "append-only|permission denied"


def verify():
    call_command("verify_audit_trail", stdout=open("/dev/null", "w"))  # noqa: SIM115


def chain_now():
    """What the commit of a real request does; a test's transaction never commits."""
    return trail_seal_pending()


def test_every_history_row_gets_a_chained_entry(db):
    controller = ControllerFactory()
    controller.contact_name = "New contact"
    controller.save()
    assert chain_now() == 2
    entries = list(TrailEntry.objects.order_by("seq"))
    assert [e.history_type for e in entries] == ["+", "~"]
    assert entries[1].prev_hash == entries[0].row_hash
    assert entries[0].door == Door.COMMAND
    assert entries[1].controller_id == controller.pk


def test_chain_check_passes_on_an_untouched_trail(db, capsys):
    ControllerFactory()
    MembershipFactory()
    call_command("verify_audit_trail")
    assert "Audit trail intact" in capsys.readouterr().out


def test_chain_check_names_a_row_updated_behind_the_application(db):
    first = ControllerFactory(legal_name="Untouched Ltd")
    tampered = ControllerFactory(legal_name="Honest Ltd")
    with guards_off(HISTORY_TABLE):
        Controller.history.filter(id=tampered.pk).update(legal_name="Forged Ltd")
    with pytest.raises(CommandError) as failure:
        verify()
    assert "Honest Ltd" in str(failure.value) and "altered" in str(failure.value)
    assert "Untouched" not in str(failure.value) and first.pk != tampered.pk


def test_chain_check_names_a_removed_row(db):
    ControllerFactory()
    gone = ControllerFactory()
    with guards_off(HISTORY_TABLE):
        Controller.history.filter(id=gone.pk).delete()
    with pytest.raises(CommandError, match="removed"):
        verify()


def test_chain_check_names_a_row_inserted_without_an_entry(db):
    controller = ControllerFactory()
    row = Controller.history.get(id=controller.pk)
    row.pk = None
    row.legal_name = "Inserted Ltd"
    row.save()  # a history row written straight to the table: no trail entry
    with pytest.raises(CommandError, match="inserted out of band"):
        verify()


def test_chain_check_names_an_entry_removed_from_the_middle(db):
    ControllerFactory()
    ControllerFactory()
    ControllerFactory()
    chain_now()
    with guards_off("trail_trailentry"):
        TrailEntry.objects.filter(seq=2).delete()
    with pytest.raises(CommandError, match="removed"):
        verify()


def test_scrub_keeps_the_chain_valid_and_records_who_and_when(db, officer):
    controller = ControllerFactory(contact_name="Jane Person")
    count = history_rows_scrub(
        rows=Controller.history.filter(id=controller.pk),
        values={"contact_name": "[erased]"},
        by=officer,
        reason="Erasure request DSAR-2026-0001",
    )
    assert count == 1
    assert set(Controller.history.values_list("contact_name", flat=True)) == {"[erased]"}
    scrub = TrailScrub.objects.get()
    assert scrub.scrubbed_by == officer and scrub.fields == ["contact_name"]
    verify()


def test_seal_command_chains_rows_written_before_the_trail(db):
    controller = ControllerFactory()
    # A database that had history before the trail was installed: rows, no marks, no entries.
    TrailMark.objects.all().delete()
    with pytest.raises(CommandError, match="inserted out of band"):
        verify()
    call_command("seal_audit_trail", "--preexisting", stdout=open("/dev/null", "w"))  # noqa: SIM115
    verify()
    assert TrailEntry.objects.get().object_id == str(controller.pk)


@postgres_only
def test_database_refuses_an_update_of_a_history_row(db):
    from django.db import DatabaseError, transaction

    controller = ControllerFactory()
    with (
        pytest.raises(DatabaseError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE controllers_historicalcontroller SET legal_name = 'Forged' WHERE id = %s",
            [controller.pk],
        )
    chain_now()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        TrailEntry.objects.all().delete()
    # The scrub is the one way through, and it leaves its record.
    chain_now()
    history_rows_scrub(
        rows=Controller.history.filter(id=controller.pk),
        values={"contact_name": "[erased]"},
        by=None,
        reason="test erasure",
    )
    assert set(Controller.history.filter(id=controller.pk).values_list("contact_name", flat=True)) == {"[erased]"}
    assert TrailScrub.objects.get().fields == ["contact_name"]
    verify()


@postgres_only
def test_with_triggers_disabled_the_chain_check_still_names_the_altered_row(db):
    ControllerFactory(legal_name="Before Ltd")
    with guards_off(HISTORY_TABLE), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {HISTORY_TABLE} SET legal_name = 'After Ltd' WHERE legal_name = 'Before Ltd'"
        )
    with pytest.raises(CommandError, match="altered"):
        verify()


def test_trail_shows_field_changes_with_names_and_the_door(client, staff_auditor, officer):
    measure = SecurityMeasureFactory(name="Disk encryption")
    subprocessor = SubprocessorFactory(name="Cloudflare")
    activity = ProcessingActivityFactory(name="Hosting")
    client.force_login(officer)
    # An admin-door change: through a request to /admin/, with the officer acting.
    from simple_history.models import HistoricalRecords

    class _Request:
        path = "/admin/processors/processingactivity/1/change/"
        user = officer

    HistoricalRecords.context.request = _Request()
    try:
        activity._change_reason = "review.approved"
        activity.security_measures.add(measure)
        activity.subprocessors.add(subprocessor)
        activity.status = ProcessingActivity.Status.APPROVED
        activity.approved_by = officer
        activity.approved_at = timezone.now()
        activity.save()
    finally:
        del HistoricalRecords.context.request
    chain_now()
    client.force_login(staff_auditor)
    response = client.get(TRAIL_URL, {"model": "processors.processingactivity"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Disk encryption" in page and "Cloudflare" in page
    assert str(officer) in page  # approved_by shown by name, not by id
    # The reason code in words ("review.approved" reads "Review approved").
    assert "Review approved" in page and "review.approved" not in page and ">Admin<" in page


def test_trail_pages_without_counting(client, staff_auditor):
    for _ in range(60):
        ControllerFactory()
    chain_now()
    client.force_login(staff_auditor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TRAIL_URL)
    assert response.status_code == 200
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    next_link = response.context["next_query"]
    assert next_link
    older = client.get(f"{TRAIL_URL}?{next_link}")
    seen = {e.pk for e, _ in response.context["rows"]} | {e.pk for e, _ in older.context["rows"]}
    assert len(seen) == TrailEntry.objects.count() > 60


def test_trail_filters_by_controller_and_date(client, staff_auditor):
    mine = ControllerFactory()
    MembershipFactory(controller=mine)
    ControllerFactory()
    chain_now()
    client.force_login(staff_auditor)
    response = client.get(TRAIL_URL, {"controller": mine.pk})
    models = {e.object_model for e, _ in response.context["rows"]}
    assert models == {"controllers.controller", "controllers.membership"}
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).date()
    response = client.get(TRAIL_URL, {"date_from": tomorrow.isoformat()})
    assert response.context["rows"] == []


def test_staff_without_the_trail_permission_are_refused(client, support_agent):
    client.force_login(support_agent)
    assert client.get(TRAIL_URL).status_code == 403
    assert client.get(reverse("admin:trail_trailentry_export")).status_code == 403


def test_export_streams_the_rows_in_scope(client, staff_auditor):
    mine = ControllerFactory(legal_name="Exported Ltd")
    ControllerFactory(legal_name="Other Ltd")
    chain_now()
    client.force_login(staff_auditor)
    response = client.get(reverse("admin:trail_trailentry_export"), {"controller": mine.pk})
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    assert "Exported Ltd" in body and "Other Ltd" not in body
    assert body.splitlines()[0].startswith("seq,history_date")


def test_register_as_of_shows_the_record_on_that_day(client, staff_auditor, officer):
    controller = ControllerFactory()
    old = SubprocessorFactory(name="Old host")
    activity = ProcessingActivityFactory(name="Storage", subprocessors=[old])
    activity.status = ProcessingActivity.Status.APPROVED
    activity.approved_by, activity.approved_at = officer, timezone.now()
    activity.save()
    chain_now()
    # Move the record's past back a day, so that "yesterday" has a state to show.
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    tables = [m.history.model._meta.db_table for m in (ProcessingActivity, type(old))]
    with guards_off(*tables, "trail_trailentry"):
        for model in (ProcessingActivity, type(old)):
            model.history.update(history_date=two_days_ago)
        TrailEntry.objects.update(history_date=two_days_ago)
    activity.subprocessors.add(SubprocessorFactory(name="New host"))
    chain_now()
    client.force_login(staff_auditor)
    # Yesterday in the reader's zone (a staff member's default), which the page's date means.
    reader_zone = ZoneInfo(settings.PROCESSOR_TIME_ZONE)
    yesterday = timezone.localdate(timezone.now(), reader_zone) - datetime.timedelta(days=1)
    response = client.get(
        reverse("admin:audit_register_as_of"), {"controller": controller.pk, "on": yesterday}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Storage" in page and "Old host" in page
    snapshot = response.context["snapshot"]
    assert [s.name for s in snapshot.subprocessors] == ["Old host"]
    assert any(e.object_repr == "Storage" for e in snapshot.changes_since)


def test_trail_shows_a_change_of_processing_countries_by_name(client, staff_auditor):
    subprocessor = SubprocessorFactory(name="Cloudflare", processing_locations=["US"])
    subprocessor.processing_locations = ["US", "DE"]
    subprocessor._change_reason = "locations.added"
    subprocessor.save()
    chain_now()
    client.force_login(staff_auditor)
    response = client.get(TRAIL_URL, {"model": "subprocessors.subprocessor"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<ins>Germany, United States of America</ins>" in page
