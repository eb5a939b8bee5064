"""A refused admin form shows again even when an autocomplete field got a value that is no key."""

from django.urls import reverse

from apps.processors.models import SecurityMeasure


def test_security_measure_with_a_non_numeric_owner_is_refused_not_a_500(officer_client):
    response = officer_client.post(
        reverse("admin:processors_securitymeasure_add"),
        {"name": "Disk encryption", "category": "", "description": "", "owner": ":"},
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not SecurityMeasure.objects.exists()


def test_an_owner_id_beyond_any_integer_column_is_refused_not_a_500(officer_client):
    response = officer_client.post(
        reverse("admin:processors_securitymeasure_add"),
        {"name": "Disk encryption", "owner": "9" * 40},
    )
    assert response.status_code == 200
    assert not SecurityMeasure.objects.exists()
