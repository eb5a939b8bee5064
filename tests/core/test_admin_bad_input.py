"""Bad input in admin forms: a clear message, a 200 re-showing the form, nothing written."""

import pytest
from django.urls import reverse

from apps.controllers.models import Controller
from apps.subprocessors.models import Subprocessor, SubprocessorChange, Transfer
from tests.factories import ControllerFactory, SubprocessorFactory

INLINE_EMPTY = {
    "transfers-TOTAL_FORMS": "0",
    "transfers-INITIAL_FORMS": "0",
    "transfers-MIN_NUM_FORMS": "0",
    "transfers-MAX_NUM_FORMS": "1000",
}
MEMBERSHIPS_EMPTY = {
    "memberships-TOTAL_FORMS": "0",
    "memberships-INITIAL_FORMS": "0",
    "memberships-MIN_NUM_FORMS": "0",
    "memberships-MAX_NUM_FORMS": "1000",
}


def subprocessor_form(**overrides):
    data = {
        "name": "Fastly",
        "legal_entity": "Fastly, Inc.",
        "service": "CDN",
        "website": "",
        "processing_locations": ["US"],
        "status": "active",
        "engaged_on": "2026-05-01",
        "retired_on": "",
        "dpa_signed_on": "",
        "dpa_expires_on": "",
        "certifications": "",
        **INLINE_EMPTY,
    }
    data.update(overrides)
    return data


def controller_form(**overrides):
    data = {
        "legal_name": "New Customer GmbH",
        "registration_number": "",
        "address": "Street 1",
        "country": "DE",
        "contact_name": "C. Ontact",
        "contact_email": "privacy@new.example",
        "dpo_name": "",
        "dpo_email": "",
        "eu_representative": "",
        "dpa_version": "2026-01",
        "dpa_accepted_on": "2026-02-01",
        "status": "active",
        "terminated_on": "",
        **MEMBERSHIPS_EMPTY,
    }
    data.update(overrides)
    return data


def errors_of(response) -> str:
    assert response.status_code == 200, "the form should be shown again, not saved"
    return response.content.decode()


@pytest.fixture
def add_subprocessor(officer_client):
    return lambda **kw: officer_client.post(
        reverse("admin:subprocessors_subprocessor_add"), subprocessor_form(**kw)
    )


def test_retired_before_engaged_is_refused(add_subprocessor):
    page = errors_of(
        add_subprocessor(status="retired", engaged_on="2026-05-01", retired_on="2026-04-01")
    )
    assert "The retirement date cannot be before the engagement date." in page
    assert not Subprocessor.objects.exists()


def test_duplicate_name_is_refused(add_subprocessor):
    SubprocessorFactory(name="Fastly")
    page = errors_of(add_subprocessor())
    assert "Subprocessor with this Name already exists." in page
    assert Subprocessor.objects.count() == 1


def test_unknown_country_code_is_refused(add_subprocessor):
    page = errors_of(add_subprocessor(processing_locations=["XX"]))
    assert "Select a valid choice. XX is not one of the available choices." in page
    assert not Subprocessor.objects.exists()


def test_over_long_text_is_refused(add_subprocessor):
    page = errors_of(add_subprocessor(name="N" * 151))
    assert "Ensure this value has at most 150 characters (it has 151)." in page
    assert not Subprocessor.objects.exists()


def test_bad_inline_row_saves_neither_parent_nor_rows(add_subprocessor):
    response = add_subprocessor(
        **{
            "transfers-TOTAL_FORMS": "1",
            "transfers-0-destination_country": "US",
            "transfers-0-mechanism": "sccs",
            "transfers-0-scc_module": "",
            "transfers-0-document_reference": "",
            "transfers-0-tia_completed_on": "",
        }
    )
    assert "Standard contractual clauses need their module." in errors_of(response)
    assert not Subprocessor.objects.exists()
    assert not Transfer.objects.exists()


def test_controller_terminated_before_dpa_acceptance_is_refused(officer_client):
    response = officer_client.post(
        reverse("admin:controllers_controller_add"),
        controller_form(status="terminated", terminated_on="2026-01-01"),
    )
    assert "The termination date cannot be before the DPA was accepted." in errors_of(response)
    assert not Controller.objects.exists()


def test_controller_unknown_country_and_duplicate_name(officer_client):
    ControllerFactory(legal_name="New Customer GmbH")
    response = officer_client.post(
        reverse("admin:controllers_controller_add"), controller_form(country="ZZ")
    )
    page = errors_of(response)
    assert "Controller with this Legal name already exists." in page
    assert "Select a valid choice. ZZ is not one of the available choices." in page
    assert Controller.objects.count() == 1


def test_change_inside_the_notice_period_is_refused(officer_client):
    sub = SubprocessorFactory(status="proposed", engaged_on=None)
    response = officer_client.post(
        reverse("admin:subprocessors_subprocessorchange_add"),
        {
            "kind": "add",
            "subprocessor": sub.pk,
            "replaces": "",
            "description": "Adding a CDN",
            "announced_at_0": "2026-12-01",
            "announced_at_1": "09:00:00",
            "effective_at_0": "2026-12-10",
            "effective_at_1": "09:00:00",
            "status": "announced",
            "objections-TOTAL_FORMS": "0",
            "objections-INITIAL_FORMS": "0",
            "objections-MIN_NUM_FORMS": "0",
            "objections-MAX_NUM_FORMS": "1000",
        },
    )
    page = errors_of(response)
    assert "no sooner than 30 days after it is announced" in page
    assert not SubprocessorChange.objects.exists()
