"""The completeness check of a controller's record: what it still lacks or holds only as a
placeholder, on the controller's page and before a PDF is made; and what the PDF adds."""

import re
import zlib
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.processors.documents import register_html, register_pdf
from apps.processors.models import ProcessingActivity
from apps.processors.selectors import record_gaps
from tests.factories import (
    ControllerFactory,
    ProcessingActivityFactory,
    ProcessorFactory,
    StaffFactory,
    SubprocessorFactory,
)

pytestmark = pytest.mark.django_db


def approved(**kwargs):
    return ProcessingActivityFactory(
        status=ProcessingActivity.Status.APPROVED,
        approved_by=StaffFactory(full_name="Olive Officer"),
        approved_at=timezone.now(),
        **kwargs,
    )


@pytest.fixture
def complete():
    processor = ProcessorFactory(
        country="IE", address="1 Processor Way, Dublin", dpo_name="Pat DPO"
    )
    controller = ControllerFactory(legal_name="Acme Fitness Ltd", dpo_name="Dana DPO")
    approved(processor=processor, name="Edge routing", next_review_on=date(2027, 3, 1))
    return controller


def codes(controller) -> list[str]:
    return [gap.code for gap in record_gaps(controller=controller)]


def test_a_complete_record_has_no_gaps(complete):
    assert codes(complete) == []


def test_placeholders_and_missing_parts_are_named(complete):
    complete.eu_representative = "EU representative named on request"
    complete.dpo_name = ""
    complete.dpo_email = ""
    complete.address = "1 Test Street, Dublin, Ireland"
    complete.save()
    approved(
        name="Analytics",
        subprocessors=[SubprocessorFactory(legal_entity="Analytics provider named on request")],
    )
    found = codes(complete)
    assert "representative_placeholder" in found
    assert "dpo_missing" in found
    assert "address_repeats_country" in found
    assert "subprocessor_placeholder" in found
    assert "review_missing" in found  # the new activity has no next review date


def test_a_controller_outside_the_eu_without_a_representative_is_a_gap(complete):
    complete.country = "US"
    complete.save()
    assert "representative_missing" in codes(complete)


def test_the_controllers_page_and_the_pdf_start_page_show_the_gaps(officer_client, complete):
    complete.dpo_name = ""
    complete.dpo_email = ""
    complete.save()
    sentence = "Acme Fitness Ltd names no data protection officer."
    page = officer_client.get(reverse("admin:controllers_controller_change", args=[complete.pk]))
    assert sentence in page.content.decode()
    start = officer_client.get(
        reverse("admin:processors_processingactivity_controller_record_pdf", args=[complete.pk])
    )
    assert sentence in start.content.decode()
    assert "not ready to file" in start.content.decode()


def test_the_record_names_each_activitys_approval_and_next_review(complete):
    html = register_html(controller=complete)
    assert "Olive Officer" in html
    assert "1 Mar 2027" in html


def pdf_text(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated."""
    parts = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_pdf_is_tagged_pdf_ua(complete):
    pdf = pdf_text(register_pdf(controller=complete))
    assert b"/StructTreeRoot" in pdf  # tagged: headings and tables for screen readers
    assert b"pdfuaid" in pdf  # declares PDF/UA in its metadata
