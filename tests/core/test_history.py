import pytest
from django.apps import apps
from django.urls import reverse
from simple_history.models import HistoricalChanges

from apps.processors.models import ProcessingActivity
from tests.factories import (
    ControllerFactory,
    DataCategoryFactory,
    ProcessingActivityFactory,
    SubprocessorFactory,
)


def project_models():
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        # The audit trail is the history of history: its rows are sealed by a hash chain and
        # refused UPDATE and DELETE by the database, not kept in a history of their own.
        if config.label == "trail":
            continue
        for model in config.get_models():
            # The auditors' access log is append-only like the trail: a line is never changed.
            if model._meta.label == "audit.AuditAccessLog":
                continue
            if issubclass(model, HistoricalChanges) or model._meta.auto_created:
                continue
            # simple-history's many-to-many history rows are history themselves.
            if model.__name__.startswith("Historical"):
                continue
            yield model


def test_project_has_models_to_check():
    assert len(list(project_models())) >= 12


@pytest.mark.parametrize("model", list(project_models()), ids=lambda m: m._meta.label)
def test_every_model_keeps_history(model):
    assert hasattr(model._meta, "simple_history_manager_attribute"), (
        f"{model._meta.label} has no HistoricalRecords"
    )


@pytest.mark.parametrize("model", list(project_models()), ids=lambda m: m._meta.label)
def test_every_many_to_many_is_in_history(model):
    history_model = getattr(model, model._meta.simple_history_manager_attribute).model
    tracked = {f.name for f in getattr(history_model, "_history_m2m_fields", [])}
    own_m2m = {f.name for f in model._meta.many_to_many}
    assert own_m2m <= tracked, f"{model._meta.label} leaves {own_m2m - tracked} out of history"


def test_user_history_holds_no_password(db):
    from apps.accounts.models import User

    fields = {f.name for f in User.history.model._meta.get_fields()}
    assert "password" not in fields
    assert "last_login" not in fields


def test_admin_edit_records_acting_user_and_m2m_change(officer_client, officer):
    category = DataCategoryFactory(name="Email addresses")
    subprocessor = SubprocessorFactory(name="Cloudflare")
    url = reverse("admin:subprocessors_subprocessor_change", args=[subprocessor.pk])
    response = officer_client.post(
        url,
        {
            "name": "Cloudflare",
            "legal_entity": "Cloudflare, Inc.",
            "service": "Edge compute",
            "website": "",
            "data_categories": [category.pk],
            "processing_locations": ["US"],
            "status": "active",
            "engaged_on": "2025-01-01",
            "retired_on": "",
            "dpa_signed_on": "",
            "dpa_expires_on": "",
            "certifications": "",
            "transfers-TOTAL_FORMS": "0",
            "transfers-INITIAL_FORMS": "0",
            "transfers-MIN_NUM_FORMS": "0",
            "transfers-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = subprocessor.history.latest()
    assert latest.history_user == officer
    assert list(latest.data_categories.values_list("datacategory_id", flat=True)) == [category.pk]


def test_history_page_shows_changes_to_staff(officer_client):
    controller = ControllerFactory(legal_name="Acme Ltd")
    controller.contact_name = "New Contact"
    controller.save()
    response = officer_client.get(
        reverse("admin:controllers_controller_history", args=[controller.pk])
    )
    assert response.status_code == 200
    assert "Contact name" in response.content.decode()


def test_covering_includes_shared_and_listed_activities_only(db):
    mine, other = ControllerFactory(), ControllerFactory()
    shared = ProcessingActivityFactory(name="Shared")
    listed = ProcessingActivityFactory(
        name="Listed", covers_all_controllers=False, controllers=[mine]
    )
    ProcessingActivityFactory(name="Other's", covers_all_controllers=False, controllers=[other])
    names = set(ProcessingActivity.objects.covering(mine).values_list("name", flat=True))
    assert names == {shared.name, listed.name}
