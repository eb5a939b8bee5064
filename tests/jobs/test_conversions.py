"""Each long job the product had in a request or a cron command now runs as a job: the request
records it and returns without doing the work; the task does it with progress and a result;
a failure shows its reason, and a retry completes it."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import SecurityEvent
from apps.breaches.models import BreachNotification, BreachUpdateDelivery
from apps.breaches.services import breach_controllers_confirm, breach_update_add
from apps.dsar.models import SCRUBBED, DsarTicket
from apps.jobs.models import Job
from apps.jobs.services import job_retry
from apps.notifications.models import Notification
from apps.offboarding.models import DataExport, DeletionRequest
from apps.subprocessors.models import Subprocessor, SubprocessorChange
from tests.factories import (
    BreachIncidentFactory,
    ControllerFactory,
    DeletionRequestFactory,
    DsarTicketFactory,
    StaffFactory,
    SubprocessorFactory,
)

pytestmark = pytest.mark.django_db

State = Job.State


def pdf_counter(monkeypatch, module):
    """Counts the PDFs `module` lays out (its pdf_from_html), and lays them out as before."""
    calls = []
    original = module.pdf_from_html

    def counting(html):
        calls.append(1)
        return original(html)

    monkeypatch.setattr(module, "pdf_from_html", counting)
    return calls


def failing_once(monkeypatch, module, name, error):
    """`module.name` raises `error` on its first call and works from then on."""
    original = getattr(module, name)
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


def the_job(kind) -> Job:
    return Job.objects.get(kind=kind)


# --- the customer's data export ---------------------------------------------------------------


def test_an_export_request_returns_at_once_and_its_job_builds_the_zip(
    client, owner, controller_a, queued
):
    client.force_login(owner)
    with queued.capture() as callbacks:
        response = client.post(reverse("portal:data_export_request"))
    job = the_job("offboarding.data_export")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:job_detail", kwargs={"job_id": job.pk})
    export = DataExport.objects.get()
    assert (export.status, bool(export.file)) == (DataExport.Status.PENDING, False)
    assert (job.state, job.controller, job.started_by) == (State.QUEUED, controller_a, owner)
    page = client.get(response["Location"]).content.decode()
    assert "Queued" in page and "Waiting for a worker" in page

    queued.run(callbacks)
    export.refresh_from_db()
    job.refresh_from_db()
    assert export.status == DataExport.Status.READY and export.file
    assert (job.state, job.progress_done, job.progress_total) == (State.DONE, 10, 10)
    steps = set(job.history.values_list("step", flat=True))
    assert {"Data-subject requests", "Record of processing: the PDF"} <= steps
    download = reverse("portal:data_export_download", kwargs={"export_id": export.pk})
    assert job.result_url() == download
    page = client.get(reverse("portal:job_detail", kwargs={"job_id": job.pk})).content.decode()
    assert f'href="{download}"' in page and "Download the export" in page
    assert Notification.objects.filter(kind="offboarding.export_ready").exists()


def test_a_failed_export_shows_why_and_its_retry_builds_it(
    client, owner, controller_a, queued, monkeypatch
):
    from apps.offboarding import services

    failing_once(monkeypatch, services, "data_export_zip", OSError("No space left on device"))
    client.force_login(owner)
    with queued.capture() as callbacks:
        client.post(reverse("portal:data_export_request"))
    queued.run(callbacks)
    job = the_job("offboarding.data_export")
    export = DataExport.objects.get()
    assert job.state == State.FAILED
    assert export.status == DataExport.Status.FAILED
    page_url = reverse("portal:job_detail", kwargs={"job_id": job.pk})
    page = client.get(page_url).content.decode()
    assert "unexpected error (OSError)" in page
    retry = reverse("portal:job_retry", kwargs={"job_id": job.pk})
    assert f'action="{retry}"' in page
    # The overview links the failed export to its job.
    overview = client.get(reverse("portal:data_overview")).content.decode()
    assert page_url in overview

    with queued.capture() as callbacks:
        assert client.post(retry)["Location"] == page_url
    queued.run(callbacks)
    job.refresh_from_db()
    export.refresh_from_db()
    assert (job.state, job.attempts) == (State.DONE, 2)
    assert export.status == DataExport.Status.READY


def test_the_cron_command_builds_an_export_whose_job_was_never_run(owner, controller_a, settings):
    from apps.offboarding.services import data_export_request

    export = data_export_request(controller=controller_a, by=owner)  # its enqueue never ran
    out = StringIO()
    call_command("build_data_exports", stdout=out)
    assert "built 0" in out.getvalue()  # the job is young: a worker may still take it
    Job.objects.filter(pk=the_job("offboarding.data_export").pk).update(
        queued_at=timezone.now() - timedelta(hours=1)
    )  # aged for the test; no history row is wanted
    call_command("build_data_exports", stdout=out)
    assert "built 1, failed 0" in out.getvalue()
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY
    assert the_job("offboarding.data_export").state == State.DONE


# --- the deletion's erasure -------------------------------------------------------------------


@pytest.fixture
def past_cooling_off(controller_a, owner):
    DsarTicketFactory(controller=controller_a, data_subject_identifier="jane@end.user")
    return DeletionRequestFactory(
        controller=controller_a, cooling_off_ends_at=timezone.now() - timedelta(minutes=1)
    )


def confirm_and_erase(officer_client, deletion):
    return officer_client.post(
        reverse("admin:offboarding_deletionrequest_changelist"),
        {"action": "confirm_and_erase", "_selected_action": [deletion.pk]},
        follow=True,
    )


def test_confirming_an_erasure_returns_at_once_and_its_job_erases(
    officer_client, officer, past_cooling_off, queued
):
    with queued.capture() as callbacks:
        response = confirm_and_erase(officer_client, past_cooling_off)
    page = response.content.decode()
    job = the_job("offboarding.deletion_erasure")
    assert "Confirmed, erasure queued: 1 request(s)." in page
    assert reverse("admin:jobs_job_change", args=[job.pk]) in page  # "Follow …"
    past_cooling_off.refresh_from_db()
    assert past_cooling_off.status == DeletionRequest.Status.CONFIRMED
    assert DsarTicket.objects.get().data_subject_identifier == "jane@end.user"  # not yet

    queued.run(callbacks)
    past_cooling_off.refresh_from_db()
    job.refresh_from_db()
    assert past_cooling_off.status == DeletionRequest.Status.COMPLETED
    assert past_cooling_off.certificate
    assert DsarTicket.objects.get().data_subject_identifier == SCRUBBED
    assert job.state == State.DONE and "is erased" in job.summary
    change_url = reverse("admin:offboarding_deletionrequest_change", args=[past_cooling_off.pk])
    assert job.result_url() == change_url
    page = officer_client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert change_url in page and "The request and its certificate" in page


def test_a_failed_erasure_erases_nothing_shows_why_and_its_retry_erases(
    officer_client, officer, past_cooling_off, queued, monkeypatch
):
    from apps.offboarding import services

    failing_once(monkeypatch, services, "certificate_pdf", OSError("Pango is missing"))
    with queued.capture() as callbacks:
        confirm_and_erase(officer_client, past_cooling_off)
    queued.run(callbacks)
    job = the_job("offboarding.deletion_erasure")
    assert job.state == State.FAILED and "OSError" in job.failure_reason
    past_cooling_off.refresh_from_db()
    assert past_cooling_off.status == DeletionRequest.Status.CONFIRMED  # one transaction
    assert DsarTicket.objects.get().data_subject_identifier == "jane@end.user"
    # The officer retries it from the job's page.
    with queued.capture() as callbacks:
        officer_client.post(reverse("admin:jobs_job_retry", args=[job.pk]))
    queued.run(callbacks)
    job.refresh_from_db()
    past_cooling_off.refresh_from_db()
    assert job.state == State.DONE
    assert past_cooling_off.status == DeletionRequest.Status.COMPLETED


# --- the record of processing as a PDF --------------------------------------------------------


def test_the_admins_record_pdf_starts_a_job_and_its_page_links_the_file(
    officer_client, controller_a, activity_of_a, queued, monkeypatch
):
    from apps.processors import tasks

    pdfs = pdf_counter(monkeypatch, tasks)
    url = reverse(
        "admin:processors_processingactivity_controller_record_pdf", args=[controller_a.pk]
    )
    page = officer_client.get(url)
    assert page.status_code == 200 and 'type="submit"' in page.content.decode()
    assert not Job.objects.exists()  # a GET starts nothing
    with queued.capture() as callbacks:
        response = officer_client.post(url)
    job = the_job("processors.register_pdf")
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert (job.state, pdfs) == (State.QUEUED, [])  # no PDF laid out in the request

    queued.run(callbacks)
    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total, len(pdfs)) == (State.DONE, 2, 2, 1)
    assert job.result_filename.startswith("record-of-processing-alpha-apps-ltd")
    download = officer_client.get(reverse("admin:jobs_job_download", args=[job.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_customer_asks_for_the_record_pdf_and_downloads_it_from_the_job(
    client, auditor, controller_a, activity_of_a, queued, monkeypatch
):
    from apps.processors import tasks

    pdfs = pdf_counter(monkeypatch, tasks)
    client.force_login(auditor)  # read-only, and still may have the record
    url = reverse("portal:record_pdf", kwargs={"controller_id": controller_a.pk})
    assert "Make the PDF" in client.get(url).content.decode()
    with queued.capture() as callbacks:
        response = client.post(url)
    job = the_job("processors.register_pdf")
    assert response["Location"] == reverse("portal:job_detail", kwargs={"job_id": job.pk})
    assert (job.controller, job.started_by, pdfs) == (controller_a, auditor, [])
    queued.run(callbacks)
    download_url = reverse("portal:job_download", kwargs={"job_id": job.pk})
    page = client.get(response["Location"]).content.decode()
    assert download_url in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert event.user == auditor and download_url in event.detail


def test_a_failed_pdf_shows_why_and_its_retry_makes_it(
    client, owner, controller_a, queued, monkeypatch
):
    from apps.processors import tasks

    failing_once(monkeypatch, tasks, "pdf_from_html", OSError("cannot load Pango"))
    client.force_login(owner)
    url = reverse("portal:record_pdf", kwargs={"controller_id": controller_a.pk})
    with queued.capture() as callbacks:
        client.post(url)
    queued.run(callbacks)
    job = the_job("processors.register_pdf")
    page = client.get(reverse("portal:job_detail", kwargs={"job_id": job.pk})).content.decode()
    assert "Why it failed" in page and "unexpected error (OSError)" in page
    with queued.capture() as callbacks:
        client.post(reverse("portal:job_retry", kwargs={"job_id": job.pk}))
    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE and job.result_file


# --- breach incidents: notices, updates, the report -------------------------------------------


@pytest.fixture
def incident_to_many(security_lead):
    controllers = ControllerFactory.create_batch(5)
    incident = BreachIncidentFactory(owner=security_lead, affected_controllers=controllers)
    breach_controllers_confirm(incident=incident, by=security_lead)
    return incident


@pytest.fixture
def lead_client(client, security_lead):
    client.force_login(security_lead)
    return client


def action(client, name, incident):
    return client.post(
        reverse("admin:breaches_breachincident_changelist"),
        {"action": name, "_selected_action": [incident.pk]},
        follow=True,
    )


def test_notifying_many_controllers_returns_at_once_and_the_job_notifies_in_batches(
    lead_client, incident_to_many, queued, monkeypatch
):
    from apps.breaches import services

    monkeypatch.setattr(services, "NOTICE_BATCH", 2)
    with queued.capture() as callbacks:
        page = action(lead_client, "notify_controllers", incident_to_many).content.decode()
    job = the_job("breaches.notice")
    assert "Notices queued: 1 incident(s)." in page
    assert reverse("admin:jobs_job_change", args=[job.pk]) in page
    assert not BreachNotification.objects.filter(sent_at__isnull=False).exists()
    assert not Notification.objects.exists()

    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert BreachNotification.objects.filter(sent_at__isnull=False).count() == 5
    assert Notification.objects.filter(kind="breach.notification").count() == 10  # contact, DPO
    counts = [
        (row.progress_done, row.progress_total)
        for row in job.history.filter(history_change_reason="jobs.job.progress")
    ]
    assert (5, 5) in counts
    assert job.result_url() == reverse(
        "admin:breaches_breachincident_change", args=[incident_to_many.pk]
    )
    again = action(lead_client, "notify_controllers", incident_to_many).content.decode()
    assert "has been notified already" in again


def test_a_notice_stopped_half_way_shows_why_and_its_retry_tells_only_the_rest(
    lead_client, security_lead, incident_to_many, queued, monkeypatch
):
    from apps.breaches import services

    monkeypatch.setattr(services, "NOTICE_BATCH", 2)
    original = services._notice_send
    calls = []

    def down_at_the_third(notification, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OperationalError("server closed the connection unexpectedly")
        return original(notification, **kwargs)

    monkeypatch.setattr(services, "_notice_send", down_at_the_third)
    with queued.capture() as callbacks:
        action(lead_client, "notify_controllers", incident_to_many)
    queued.run(callbacks)
    job = the_job("breaches.notice")
    assert job.state == State.FAILED and "OperationalError" in job.failure_reason
    assert BreachNotification.objects.filter(sent_at__isnull=False).count() == 2  # one batch
    with queued.capture() as callbacks:
        job_retry(job=job, by=security_lead)
    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE
    assert BreachNotification.objects.filter(sent_at__isnull=False).count() == 5
    assert Notification.objects.filter(kind="breach.notification").count() == 10  # none twice


def test_sending_an_update_returns_at_once_and_the_job_sends_it(
    lead_client, security_lead, incident_to_many, queued
):
    from apps.breaches.services import breach_notify_controllers

    breach_notify_controllers(incident=incident_to_many, by=security_lead)
    breach_update_add(incident=incident_to_many, text="Root cause found.", by=security_lead)
    with queued.capture() as callbacks:
        page = action(lead_client, "send_latest_update", incident_to_many).content.decode()
    assert "Update sent: 1 incident(s)." in page
    assert not BreachUpdateDelivery.objects.exists()
    queued.run(callbacks)
    job = the_job("breaches.update")
    assert (job.state, job.progress_done, job.progress_total) == (State.DONE, 5, 5)
    assert BreachUpdateDelivery.objects.count() == 5


def test_the_incident_report_is_made_by_a_job_for_the_customer(
    client, owner, controller_a, security_lead, queued, monkeypatch
):
    from apps.breaches import tasks

    pdfs = pdf_counter(monkeypatch, tasks)
    from apps.breaches.services import breach_notify_controllers

    incident = BreachIncidentFactory(owner=security_lead, affected_controllers=[controller_a])
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_notify_controllers(incident=incident, by=security_lead)
    client.force_login(owner)
    url = reverse("portal:breach_incident_report_pdf", kwargs={"incident_id": incident.pk})
    assert client.get(url).status_code == 200
    with queued.capture() as callbacks:
        response = client.post(url)
    job = the_job("breaches.report_pdf")
    assert response["Location"] == reverse("portal:job_detail", kwargs={"job_id": job.pk})
    assert pdfs == [] and job.state == State.QUEUED
    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE and len(pdfs) == 1
    assert job.result_filename == f"{incident.reference}-{controller_a.pk}.pdf"
    download = client.get(reverse("portal:job_download", kwargs={"job_id": job.pk}))
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_staff_ask_for_the_incident_report_and_a_failure_is_retried(
    client, staff_auditor, incident_to_many, queued, monkeypatch
):
    from apps.breaches import tasks

    failing_once(monkeypatch, tasks, "pdf_from_html", OSError("cannot load Pango"))
    controller = incident_to_many.notifications.first().controller
    url = reverse("admin:breaches_breachincident_report", args=[incident_to_many.pk, controller.pk])
    client.force_login(staff_auditor)  # reads incidents, changes nothing
    with queued.capture() as callbacks:
        response = client.post(url)
    queued.run(callbacks)
    job = the_job("breaches.report_pdf")
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert job.state == State.FAILED
    with queued.capture() as callbacks:
        client.post(reverse("admin:jobs_job_retry", args=[job.pk]))
    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE


# --- subprocessor-change notices --------------------------------------------------------------


def announce_form(subprocessor):
    effective_at = timezone.now() + timedelta(days=45)
    return {
        "kind": "add",
        "subprocessor": subprocessor.pk,
        "replaces": "",
        "description": "We add a CDN.",
        "effective_at_0": effective_at.strftime("%Y-%m-%d"),
        "effective_at_1": effective_at.strftime("%H:%M:%S"),
        "objections-TOTAL_FORMS": "0",
        "objections-INITIAL_FORMS": "0",
        "objections-MIN_NUM_FORMS": "0",
        "objections-MAX_NUM_FORMS": "1000",
    }


def announce_through_the_admin(officer_client):
    subprocessor = SubprocessorFactory(status=Subprocessor.Status.PROPOSED, engaged_on=None)
    return officer_client.post(
        reverse("admin:subprocessors_subprocessorchange_add"), announce_form(subprocessor)
    )


def test_announcing_a_change_returns_at_once_and_the_job_emails_every_controller(
    officer_client, queued, monkeypatch
):
    from apps.subprocessors import services

    monkeypatch.setattr(services, "NOTICE_BATCH", 2)
    ControllerFactory.create_batch(5)
    with queued.capture() as callbacks:
        response = announce_through_the_admin(officer_client)
    assert response.status_code == 302
    change = SubprocessorChange.objects.get()
    job = the_job("subprocessors.change_notice")
    assert job.state == State.QUEUED and "5 active controller(s)" in job.title
    assert not Notification.objects.exists()  # the request queued no e-mail itself

    queued.run(callbacks)
    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == (State.DONE, 5, 5)
    assert Notification.objects.filter(kind="subprocessors.change_announced").count() == 10
    assert job.result_url() == reverse(
        "admin:subprocessors_subprocessorchange_change", args=[change.pk]
    )


def test_the_announcing_request_costs_the_same_with_2_or_40_controllers(
    officer_client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_announce():
        with CaptureQueriesContext(connection) as captured:
            assert announce_through_the_admin(officer_client).status_code == 302
        return len(captured)

    ControllerFactory.create_batch(2)
    with_two = queries_to_announce()
    ControllerFactory.create_batch(38)
    assert queries_to_announce() == with_two


def test_a_change_notice_stopped_half_way_is_retried_without_sending_twice(
    officer, officer_client, queued, monkeypatch
):
    from apps.subprocessors import services

    monkeypatch.setattr(services, "NOTICE_BATCH", 2)
    ControllerFactory.create_batch(5)
    original = services.notification_enqueue
    calls = []

    def down_at_the_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return original(**kwargs)

    monkeypatch.setattr(services, "notification_enqueue", down_at_the_second_batch)
    with queued.capture() as callbacks:
        announce_through_the_admin(officer_client)
    queued.run(callbacks)
    job = the_job("subprocessors.change_notice")
    assert job.state == State.FAILED
    assert Notification.objects.count() == 4  # the first batch: two controllers
    page = officer_client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "OperationalError" in page and "Retry" in page
    with queued.capture() as callbacks:
        job_retry(job=job, by=officer)
    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE
    assert Notification.objects.count() == 10


# --- imports of a register file ---------------------------------------------------------------

HEADER = "name,legal_entity,service,processing_locations,status,engaged_on,data_categories"


def preview(client, content: bytes):
    from tests.core.test_imports import format_index

    return client.post(
        reverse("admin:subprocessors_subprocessor_import"),
        {
            "import_file": SimpleUploadedFile("subprocessors.csv", content),
            "format": format_index(Subprocessor, "CSV"),
        },
    )


def confirm(client, previewed):
    return client.post(
        reverse("admin:subprocessors_subprocessor_process_import"),
        previewed.context["confirm_form"].initial,
    )


def test_confirming_an_import_returns_at_once_and_the_job_imports_as_the_confirmer(
    officer_client, officer, queued
):
    content = (
        f"{HEADER}\nResend,Resend Inc.,Email,US,proposed,,\nFastly,Fastly Inc.,CDN,US,proposed,,\n"
    )
    previewed = preview(officer_client, content.encode())
    assert not Subprocessor.objects.exists()  # the preview is a dry run, in the request
    with queued.capture() as callbacks:
        response = confirm(officer_client, previewed)
    job = the_job("register.import")
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert not Subprocessor.objects.exists()  # the confirm step only queued it

    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE
    assert "2 new, 0 updated" in job.summary
    assert Subprocessor.objects.get(name="Resend").history.latest().history_user == officer
    assert job.result_url() == reverse("admin:subprocessors_subprocessor_changelist")


def test_an_import_that_fails_on_its_way_is_retried_and_imports_once(
    officer_client, officer, queued, monkeypatch
):
    from import_export.resources import ModelResource

    previewed = preview(
        officer_client, f"{HEADER}\nResend,Resend Inc.,Email,US,proposed,,\n".encode()
    )
    failing_once(
        monkeypatch, ModelResource, "import_data", OperationalError("the database went away")
    )
    with queued.capture() as callbacks:
        confirm(officer_client, previewed)
    queued.run(callbacks)
    job = the_job("register.import")
    assert job.state == State.FAILED and "OperationalError" in job.failure_reason
    assert not Subprocessor.objects.exists()
    with queued.capture() as callbacks:
        job_retry(job=job, by=officer)
    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE
    assert Subprocessor.objects.filter(name="Resend").count() == 1


def test_an_import_whose_rows_went_wrong_since_the_preview_imports_nothing_and_says_why(
    officer_client, queued
):
    SubprocessorFactory(name="Existing")
    content = f"{HEADER}\nResend,Resend Inc.,Email,US,proposed,,Email addresses\n"
    from tests.factories import DataCategoryFactory

    category = DataCategoryFactory(name="Email addresses")
    previewed = preview(officer_client, content.encode())
    category.delete()  # gone between the preview and the confirmation
    with queued.capture() as callbacks:
        confirm(officer_client, previewed)
    queued.run(callbacks)
    job = the_job("register.import")
    assert job.state == State.FAILED
    assert "Nothing was imported" in job.failure_reason
    assert "Row 1" in job.failure_reason and "Unknown data categories" in job.failure_reason
    assert list(Subprocessor.objects.values_list("name", flat=True)) == ["Existing"]


def test_a_preview_of_more_rows_than_the_bound_is_refused_in_the_request(officer_client):
    from apps.core.resources import IMPORT_MAX_ROWS

    rows = "".join(f"S{i},S{i} Inc.,CDN,US,proposed,,\n" for i in range(IMPORT_MAX_ROWS + 1))
    response = preview(officer_client, f"{HEADER}\n{rows}".encode())
    assert response.status_code == 200
    assert f"at most {IMPORT_MAX_ROWS:,} are imported at once" in response.content.decode()
    assert "confirm_form" not in response.context
    assert not Subprocessor.objects.exists()


# --- reminders --------------------------------------------------------------------------------


def test_the_reminders_command_runs_as_a_job_here_or_queues_it(queued):
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "send_reminders: warned of 0 ticket(s) due within 3 day(s)" in out.getvalue()
    job = the_job("dsar.reminders")
    assert (job.state, job.started_by, job.progress_total) == (State.DONE, None, 2)
    assert "Warned of 0 ticket(s)" in job.summary

    with queued.capture() as callbacks:
        call_command("send_reminders", "--queue", "--days", "7", stdout=out)
    queued_job = Job.objects.filter(kind="dsar.reminders").order_by("-pk").first()
    assert f"queued as job {queued_job.pk}" in out.getvalue()
    assert queued_job.state == State.QUEUED and queued_job.arguments == {"days": 7}
    queued.run(callbacks)
    queued_job.refresh_from_db()
    assert queued_job.state == State.DONE


def test_a_failed_reminders_job_says_why_and_a_privacy_officer_retries_it(queued, monkeypatch):
    from apps.dsar import tasks

    failing_once(monkeypatch, tasks, "dsar_reminders_send", OperationalError("database restarting"))
    with pytest.raises(OperationalError):
        call_command("send_reminders", stdout=StringIO())
    job = the_job("dsar.reminders")
    assert job.state == State.FAILED and "OperationalError" in job.failure_reason
    with queued.capture() as callbacks:
        job_retry(job=job, by=StaffFactory(role="Privacy Officer"))
    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == State.DONE


def test_a_reminders_refusal_fails_the_command_with_its_reason(monkeypatch):
    from django.core.exceptions import ValidationError

    from apps.dsar import tasks

    def refuse(**kwargs):
        raise ValidationError("The calendar of a controller is missing.")

    monkeypatch.setattr(tasks, "dsar_reminders_send", refuse)
    with pytest.raises(CommandError, match="The calendar of a controller is missing."):
        call_command("send_reminders", stdout=StringIO())
