"""Admin forms posted with values no browser sends: refused with a message, never a 500."""

from django.urls import reverse

from apps.breaches.models import BreachIncident
from apps.dsar.models import DsarTicket
from apps.processors.models import SecurityMeasure
from tests.factories import BreachIncidentFactory


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


def test_a_tampered_row_count_on_read_only_inlines_is_refused_not_a_500(client, support_agent):
    """A form claiming a new attachment row (TOTAL_FORMS=1 where the page offers none) comes
    back with an error instead of failing to link the file of a row that does not exist."""
    client.force_login(support_agent)
    response = client.post(
        reverse("admin:dsar_dsarticket_add"),
        {
            "request_type": "",
            "attachments-TOTAL_FORMS": "1",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not DsarTicket.objects.exists()


def test_a_tampered_row_count_on_breach_notices_is_refused_not_a_500(client, security_lead):
    incident = BreachIncidentFactory()
    client.force_login(security_lead)
    url = reverse("admin:breaches_breachincident_change", args=[incident.pk])
    response = client.post(
        url, {"title": "", "notifications-TOTAL_FORMS": "1", "notifications-INITIAL_FORMS": "0"}
    )
    assert response.status_code == 200
    assert BreachIncident.objects.get().title == incident.title
