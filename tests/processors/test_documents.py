import pytest
from django.urls import reverse
from django.utils import timezone

from apps.jobs.models import Job
from apps.processors.documents import register_html, register_pdf
from apps.processors.models import ProcessingActivity
from apps.subprocessors.models import Subprocessor
from tests.factories import (
    ControllerFactory,
    DataCategoryFactory,
    ProcessingActivityFactory,
    StaffFactory,
    SubprocessorFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db


def approved(**kwargs):
    return ProcessingActivityFactory(
        status=ProcessingActivity.Status.APPROVED,
        approved_by=StaffFactory(),
        approved_at=timezone.now(),
        **kwargs,
    )


@pytest.fixture
def record():
    acme = ControllerFactory(legal_name="Acme Fitness Ltd", dpo_name="Dana DPO")
    birch = ControllerFactory(legal_name="Birch Health GmbH")
    cloudflare = SubprocessorFactory(name="Cloudflare")
    TransferFactory(subprocessor=cloudflare, document_reference="DPA annex 3")
    shared = approved(
        name="Edge routing",
        subprocessors=[cloudflare],
        data_categories=[DataCategoryFactory(name="IP addresses")],
    )
    only_birch = approved(name="Health sync", covers_all_controllers=False, controllers=[birch])
    ProcessingActivityFactory(name="Draft idea")
    return acme, birch, shared, only_birch


def test_the_record_for_one_controller_shows_only_what_covers_it(record):
    acme, birch, shared, only_birch = record
    html = register_html(controller=acme)
    assert "Acme Fitness Ltd" in html and "Dana DPO" in html
    assert "Edge routing" in html and "IP addresses" in html
    assert "Health sync" not in html  # listed for another controller only
    assert "Draft idea" not in html  # not approved
    assert "Standard contractual clauses" in html and "Module 3" in html
    assert "DPA annex 3" in html
    assert "Birch Health GmbH" not in html


def test_the_record_for_all_lists_the_controllers_covered(record):
    html = register_html()
    assert "Acme Fitness Ltd" in html and "Birch Health GmbH" in html
    assert "Health sync" in html


def test_register_pdf_is_a_pdf(record):
    pdf = register_pdf(controller=record[0])
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000


def made_by_its_job(client, url, capture_on_commit):
    """The PDF page starts a job (tests/jobs); its file, once made, downloads from the job."""
    assert client.get(url).status_code == 200  # the page with the button
    with capture_on_commit(execute=True):
        started = client.post(url)
    job = Job.objects.latest("pk")
    assert started["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    return client.get(reverse("admin:jobs_job_download", args=[job.pk]))


def test_staff_download_the_record_from_the_controller_page(
    officer_client, record, django_capture_on_commit_callbacks
):
    acme = record[0]
    page = officer_client.get(reverse("admin:controllers_controller_change", args=[acme.pk]))
    url = reverse("admin:processors_processingactivity_controller_record_pdf", args=[acme.pk])
    assert url in page.content.decode()
    response = made_by_its_job(officer_client, url, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "acme-fitness-ltd" in response["Content-Disposition"]


def test_the_record_for_all_is_linked_from_the_activity_list(
    officer_client, record, django_capture_on_commit_callbacks
):
    page = officer_client.get(reverse("admin:processors_processingactivity_changelist"))
    url = reverse("admin:processors_processingactivity_record_pdf")
    assert url in page.content.decode()
    response = made_by_its_job(officer_client, url, django_capture_on_commit_callbacks)
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_staff_without_view_on_activities_cannot_download_the_record(client, record):
    client.force_login(StaffFactory())
    response = client.get(reverse("admin:processors_processingactivity_record_pdf"))
    assert response.status_code == 403


def test_streamed_csv_has_the_export_columns_and_keeps_formulas_as_text(officer_client):
    SubprocessorFactory(name="=HYPERLINK(1)", processing_locations=["US", "DE"])
    SubprocessorFactory(name="Resend", status=Subprocessor.Status.ACTIVE)
    response = officer_client.get(reverse("admin:subprocessors_subprocessor_export_csv"))
    assert response.status_code == 200
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("name,legal_entity,service")
    assert any(line.startswith("'=HYPERLINK(1)") for line in lines)
    assert any("DE, US" in line for line in lines)
    assert len(lines) == 3


def test_streamed_csv_follows_the_changelist_filters(officer_client):
    SubprocessorFactory(name="Cloudflare")
    SubprocessorFactory(name="Old one", status="retired", retired_on="2025-06-01")
    url = reverse("admin:subprocessors_subprocessor_export_csv") + "?status__exact=retired"
    lines = b"".join(officer_client.get(url).streaming_content).decode().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Old one")


def test_auditor_may_export_but_not_import(client, staff_auditor):
    client.force_login(staff_auditor)
    assert client.get(reverse("admin:subprocessors_subprocessor_export_csv")).status_code == 200
    assert client.get(reverse("admin:subprocessors_subprocessor_import")).status_code == 403


def test_every_register_table_exports_to_xlsx(record):
    from apps.processors.resources import ProcessingActivityResource
    from apps.subprocessors.resources import SubprocessorResource, TransferResource

    for resource in (SubprocessorResource(), TransferResource(), ProcessingActivityResource()):
        dataset = resource.export()
        assert dataset.xlsx[:2] == b"PK"


def test_the_record_of_one_controller_reads_a_fixed_number_of_queries(
    record, django_assert_max_num_queries
):
    acme = record[0]
    for i in range(5):
        approved(
            name=f"Extra {i}",
            subprocessors=[SubprocessorFactory()],
            data_categories=[DataCategoryFactory()],
        )
    # the activities with their processor; their data categories, data subject categories,
    # security measures, subprocessors and the subprocessors' transfers (one prefetch each);
    # the controller's upheld objections to subprocessor changes. Not the activities'
    # controllers (only the record of every controller lists them) nor the processor again.
    with django_assert_max_num_queries(7):
        html = register_html(controller=acme)
    assert "Extra 4" in html and "Edge routing" in html
