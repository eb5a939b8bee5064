"""A customer admin asks for an export of all its data; a command builds the ZIP."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from apps.accounts.models import SecurityEvent
from apps.dsar.models import DsarTimelineEntry
from apps.notifications.models import Notification
from apps.offboarding.models import DataExport
from apps.offboarding.services import data_export_build
from tests.factories import DataExportFactory, DsarTicketFactory, ObjectionFactory

REQUEST_URL = reverse("portal:data_export_request")


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def download_url(export) -> str:
    return reverse("portal:data_export_download", kwargs={"export_id": export.pk})


def test_an_admin_requests_an_export(client, owner, controller_a):
    client.force_login(owner)
    assert client.get(REQUEST_URL).status_code == 200
    response = client.post(REQUEST_URL, follow=True)
    assert "being prepared" in messages_of(response)
    export = DataExport.objects.get()
    assert (export.controller, export.requested_by, export.status) == (
        controller_a,
        owner,
        DataExport.Status.PENDING,
    )
    assert export.history.first().history_change_reason == "offboarding.export.requested"


def test_a_second_request_while_one_is_prepared_is_refused(client, owner, controller_a):
    DataExportFactory(controller=controller_a)
    client.force_login(owner)
    response = client.post(REQUEST_URL, follow=True)
    assert "already being prepared" in messages_of(response)
    assert DataExport.objects.count() == 1


def test_members_and_auditors_cannot_request_an_export(client, member, auditor):
    for user in (member, auditor):
        client.force_login(user)
        assert client.post(REQUEST_URL).status_code == 403
    assert not DataExport.objects.exists()


@pytest.fixture
def built_export(owner, controller_a, controller_b, activity_of_a):
    ticket = DsarTicketFactory(controller=controller_a, data_subject_identifier="jane@end.user")
    DsarTimelineEntry.objects.create(
        ticket=ticket, kind="reply", body="We found her account.", visible_to_customer=True
    )
    DsarTimelineEntry.objects.create(ticket=ticket, kind="note", body="Internal: ask Stripe.")
    DsarTicketFactory(controller=controller_b, data_subject_identifier="bob@bravo.user")
    ObjectionFactory(
        controller=controller_a,
        reason="Not in that country.",
        status="upheld",
        consequence="termination",
        termination_on=date(2027, 3, 1),
        resolved_at=timezone.now(),
    )
    export = DataExportFactory(controller=controller_a, requested_by=owner)
    call_command("build_data_exports", stdout=io.StringIO())
    export.refresh_from_db()
    return export


def test_the_command_builds_a_zip_of_json_and_csv_and_emails_the_requester(built_export, owner):
    export = built_export
    assert export.status == DataExport.Status.READY
    assert export.expires_at == export.ready_at + timedelta(days=7)
    with export.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        names = set(archive.namelist())
        files = {name: archive.read(name) for name in names}
    assert {
        "controller.json",
        "memberships.json",
        "memberships.csv",
        "dsar_tickets.json",
        "dsar_tickets.csv",
        "breach_incidents.json",
        "objections.json",
        "objections.csv",
        "record_of_processing/activities.csv",
        "record_of_processing/subprocessors.csv",
        "record_of_processing/transfers.csv",
        "record_of_processing/security_measures.csv",
        "record_of_processing/record_of_processing.pdf",
    } <= names
    assert json.loads(files["controller.json"])["legal_name"] == "Alpha Apps Ltd"
    tickets = json.loads(files["dsar_tickets.json"])
    assert [t["data_subject_identifier"] for t in tickets] == ["jane@end.user"]
    assert [e["body"] for e in tickets[0]["timeline"]] == ["We found her account."]
    members = json.loads(files["memberships.json"])
    assert [m["email"] for m in members] == ["owner@alpha.test"]
    assert "password" not in files["memberships.csv"].decode()
    assert b"Not in that country." in files["objections.csv"]
    [objection] = json.loads(files["objections.json"])
    on = date_format(date(2027, 3, 1), "DATE_FORMAT")
    assert objection["consequence"] == f"Alpha Apps Ltd may end the agreement from {on}."
    assert objection["termination_on"] == "2027-03-01"
    assert b"Alpha-only secret activity" in files["record_of_processing/activities.csv"]
    everything = b"".join(files.values())
    assert b"bob@bravo.user" not in everything
    assert b"Internal: ask Stripe." not in everything
    mail = Notification.objects.get(kind="offboarding.export_ready")
    assert mail.recipient == owner.email
    assert mail.sensitive
    assert download_url(export) in mail.body


def test_building_twice_changes_nothing(built_export):
    file_name = built_export.file.name
    assert data_export_build(export=built_export).file.name == file_name
    assert Notification.objects.filter(kind="offboarding.export_ready").count() == 1


def test_the_admin_downloads_the_zip_and_the_download_is_recorded(client, owner, controller_a):
    export = DataExportFactory(controller=controller_a, ready=True)
    client.force_login(owner)
    response = client.get(download_url(export))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert b"".join(response.streaming_content).startswith(b"PK")
    assert SecurityEvent.objects.filter(kind="export", user=owner).exists()


def test_an_expired_link_says_so(client, owner, controller_a):
    export = DataExportFactory(
        controller=controller_a, ready=True, expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(owner)
    response = client.get(download_url(export))
    assert response.status_code == 410
    assert "This download link has expired" in response.content.decode()
    assert not SecurityEvent.objects.filter(kind="export").exists()


def test_a_pending_export_has_nothing_to_download(client, owner, controller_a):
    export = DataExportFactory(controller=controller_a)
    client.force_login(owner)
    assert client.get(download_url(export)).status_code == 404


def test_members_cannot_download_the_export(client, member, controller_a):
    export = DataExportFactory(controller=controller_a, ready=True)
    client.force_login(member)
    assert client.get(download_url(export)).status_code == 403


def test_private_storage_gives_no_url(built_export):
    with pytest.raises(ValueError):
        storages["private"].url(built_export.file.name)


def test_the_data_page_costs_the_same_with_2_or_20_exports_and_requests(
    client, owner, controller_a, django_assert_num_queries
):
    from tests.factories import DeletionRequestFactory

    client.force_login(owner)
    url = reverse("portal:data_overview")
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 current memberships with their
    # controllers, 5 the latest exports with who asked, 6 the reader's jobs that build them,
    # 7 the latest deletion requests with who asked (each one query, whatever their number),
    # 8 release; no session save within SESSION_REFRESH_SECONDS of the sign-in.
    DataExportFactory.create_batch(2, controller=controller_a, ready=True)
    DeletionRequestFactory(controller=controller_a, status="cancelled")
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200
    DataExportFactory.create_batch(18, controller=controller_a, ready=True)
    DeletionRequestFactory.create_batch(18, controller=controller_a, status="cancelled")
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200
