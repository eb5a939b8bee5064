"""Customers download their own record of processing: the PDF and CSVs of its tables."""

import pytest
from django.urls import reverse

from apps.accounts.models import SecurityEvent
from apps.jobs.models import Job
from tests.factories import SecurityMeasureFactory, SubprocessorFactory, TransferFactory
from tests.portal.conftest import approved_activity


@pytest.fixture
def records(controller_a, controller_b, activity_of_a):
    """A's activity uses Alpha Cloud (with a transfer and a measure); B's uses Bravo Mail."""
    alpha_cloud = SubprocessorFactory(name="Alpha Cloud")
    TransferFactory(subprocessor=alpha_cloud, destination_country="US")
    activity_of_a.subprocessors.add(alpha_cloud)
    activity_of_a.security_measures.add(SecurityMeasureFactory(name="Alpha encryption"))
    of_b = approved_activity(
        name="Bravo-only activity", covers_all_controllers=False, controllers=[controller_b]
    )
    of_b.subprocessors.add(SubprocessorFactory(name="Bravo Mail"))
    of_b.security_measures.add(SecurityMeasureFactory(name="Bravo vault"))


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_record_pdf_is_the_controllers_own_and_the_download_is_recorded(
    client, owner, controller_a, records, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    # The PDF is made by a job (tests/jobs): its page links the file once it is made.
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            reverse("portal:record_pdf", kwargs={"controller_id": controller_a.pk})
        )
    job = Job.objects.get()
    assert started["Location"] == reverse("portal:job_detail", kwargs={"job_id": job.pk})
    download = reverse("portal:job_download", kwargs={"job_id": job.pk})
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "record-of-processing-alpha-apps-ltd" in response["Content-Disposition"]
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert event.user == owner
    assert "record-of-processing-alpha-apps-ltd" in event.detail
    assert download in event.detail


@pytest.mark.parametrize(
    ("table", "ours", "theirs"),
    [
        ("activities", "Alpha-only secret activity", "Bravo-only activity"),
        ("subprocessors", "Alpha Cloud", "Bravo Mail"),
        ("transfers", "Alpha Cloud", "Bravo Mail"),
        ("security_measures", "Alpha encryption", "Bravo vault"),
    ],
)
def test_each_record_table_csv_holds_only_the_controllers_rows(
    client, member, controller_a, records, table, ours, theirs
):
    client.force_login(member)
    url = reverse(f"portal:record_{table}_csv", kwargs={"controller_id": controller_a.pk})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    text = csv_text(response)
    assert ours in text
    assert theirs not in text
    assert SecurityEvent.objects.filter(kind="export", user=member).count() == 1


def test_auditors_may_download(client, auditor, controller_a, records):
    client.force_login(auditor)
    url = reverse("portal:record_activities_csv", kwargs={"controller_id": controller_a.pk})
    response = client.get(url)
    assert response.status_code == 200
    assert "Alpha-only secret activity" in csv_text(response)
    assert SecurityEvent.objects.filter(kind="export", user=auditor).exists()


def test_another_controllers_record_is_a_404_and_not_recorded_as_an_export(
    client, outsider, controller_a, records
):
    client.force_login(outsider)
    response = client.get(reverse("portal:record_pdf", kwargs={"controller_id": controller_a.pk}))
    assert response.status_code == 404
    assert not SecurityEvent.objects.filter(kind="export").exists()


def test_the_data_page_links_every_download(client, auditor, controller_a):
    client.force_login(auditor)
    response = client.get(reverse("portal:data_overview"))
    content = response.content.decode()
    for name in ("record_pdf", "record_activities_csv", "record_transfers_csv"):
        assert reverse(f"portal:{name}", kwargs={"controller_id": controller_a.pk}) in content
    # An auditor reads: no request buttons.
    assert reverse("portal:deletion_request") not in content
