"""Imports in the admin: a preview first, all or nothing, clear messages for bad files."""

import io

import openpyxl
import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from apps.data_categories.models import DataCategory
from apps.processors.models import SecurityMeasure
from apps.subprocessors.models import Subprocessor
from tests.factories import DataCategoryFactory, StaffFactory

pytestmark = pytest.mark.django_db

SUBPROCESSOR_HEADER = (
    "name,legal_entity,service,processing_locations,status,engaged_on,data_categories"
)


def format_index(model, name):
    formats = admin.site._registry[model].get_import_formats()
    return next(i for i, f in enumerate(formats) if f.__name__ == name)


def upload(client, model, content: bytes, *, filename="import.csv", fmt="CSV"):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_import")
    return client.post(
        url,
        {
            "import_file": SimpleUploadedFile(filename, content),
            "format": format_index(model, fmt),
        },
    )


def confirm(client, model, preview):
    """Confirm the previewed import. It runs as a job (tests/jobs): here, as a worker would,
    once the request has committed."""
    form = preview.context["confirm_form"]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_process_import")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, form.initial)


def test_a_good_file_is_previewed_then_written_with_the_importing_user(officer_client, officer):
    DataCategoryFactory(name="Email addresses")
    content = (
        f"{SUBPROCESSOR_HEADER}\n"
        "Resend,Resend Inc.,Email delivery,US,active,2025-03-01,Email addresses\n"
        "Fastly,Fastly Inc.,CDN,US;DE,proposed,,\n"
    ).encode()
    preview = upload(officer_client, Subprocessor, content)
    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    assert not Subprocessor.objects.exists()  # the preview is a dry run

    done = confirm(officer_client, Subprocessor, preview)
    assert done.status_code == 302
    resend = Subprocessor.objects.get(name="Resend")
    assert [c.name for c in resend.data_categories.all()] == ["Email addresses"]
    assert sorted(c.code for c in Subprocessor.objects.get(name="Fastly").processing_locations) == [
        "DE",
        "US",
    ]
    assert resend.history.latest().history_user == officer


def test_one_bad_row_means_no_row_is_imported(officer_client):
    content = (
        f"{SUBPROCESSOR_HEADER}\n"
        "Resend,Resend Inc.,Email delivery,US,active,2025-03-01,\n"
        "Broken,Broken Inc.,CDN,US,active,,\n"  # active without an engagement date
        "Fastly,Fastly Inc.,CDN,XX,proposed,,\n"  # unknown country
    ).encode()
    preview = upload(officer_client, Subprocessor, content)
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    page = preview.content.decode()
    assert "An active subprocessor needs the date it was engaged." in page
    assert "Unknown country code(s): XX" in page
    assert not Subprocessor.objects.exists()


def test_an_unknown_data_category_is_a_row_error_not_silently_dropped(officer_client):
    content = f"{SUBPROCESSOR_HEADER}\nResend,Resend Inc.,Email,US,proposed,,Nope\n".encode()
    preview = upload(officer_client, Subprocessor, content)
    assert "Unknown data categories: Nope." in preview.content.decode()
    assert not Subprocessor.objects.exists()


def test_a_wrong_header_is_refused_with_the_expected_columns(officer_client):
    content = b"nmae,description\nEmail addresses,Their email\n"
    preview = upload(officer_client, DataCategory, content)
    page = preview.content.decode()
    assert "header row is wrong" in page
    assert "missing column(s): name" in page and "unknown column(s): nmae" in page
    assert "confirm_form" not in preview.context
    assert not DataCategory.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        "name,description\nE-mail adresse,Données\n".encode("utf-16"),
        "name,description\nE-mail adresse,Données\n".encode("latin-1"),
        bytes(range(256)) * 4,
    ],
    ids=["utf-16", "latin-1", "binary"],
)
def test_a_file_in_another_encoding_is_refused_with_a_clear_message(officer_client, content):
    preview = upload(officer_client, DataCategory, content)
    assert preview.status_code == 200
    assert "The file is not UTF-8 text" in preview.content.decode()
    assert not DataCategory.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_as_xlsx(officer_client):
    preview = upload(
        officer_client, DataCategory, b"name\nnot a workbook\n", filename="x.xlsx", fmt="XLSX"
    )
    assert "could not be read in the chosen format" in preview.content.decode()
    assert not DataCategory.objects.exists()


def test_an_xlsx_file_imports_security_measures_with_their_owner(officer_client, officer):
    owner = StaffFactory(email="security@calljmp.example")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["name", "category", "description", "scope", "owner"])
    sheet.append(["TLS everywhere", "encryption", "TLS 1.2+", "All traffic", owner.email])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = upload(
        officer_client, SecurityMeasure, buffer.getvalue(), filename="m.xlsx", fmt="XLSX"
    )
    confirm(officer_client, SecurityMeasure, preview)
    measure = SecurityMeasure.objects.get(name="TLS everywhere")
    assert measure.owner == owner
    assert measure.history.latest().history_user == officer


def test_reimporting_the_same_file_changes_nothing(officer_client):
    content = b"name,description,is_special_category\nHealth data,Steps,yes\n"
    confirm(officer_client, DataCategory, upload(officer_client, DataCategory, content))
    category = DataCategory.objects.get()
    assert category.is_special_category is True
    confirm(officer_client, DataCategory, upload(officer_client, DataCategory, content))
    assert category.history.count() == 1


def test_an_unreadable_yes_no_is_a_row_error(officer_client):
    content = b"name,is_special_category\nHealth data,maybe\n"
    preview = upload(officer_client, DataCategory, content)
    assert "is not yes or no" in preview.content.decode()
    assert not DataCategory.objects.exists()
