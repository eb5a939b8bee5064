"""The zone a person reads times in: their own, else the processor's for staff; the staff page
to choose it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.accounts.services import user_time_zone_set
from apps.accounts.zones import reader_zone
from tests.factories import ControllerFactory, UserFactory

pytestmark = pytest.mark.django_db
PAGE = reverse("accounts:time_zone")


def test_whose_zone_a_person_reads(settings, support_agent):
    settings.PROCESSOR_TIME_ZONE = "Europe/Dublin"
    assert reader_zone(support_agent).key == "Europe/Dublin"
    support_agent.time_zone = "Asia/Tokyo"
    assert reader_zone(support_agent).key == "Asia/Tokyo"
    customer = UserFactory()
    organisation = ControllerFactory(country="FR").zone
    assert reader_zone(customer, default=organisation).key == "Europe/Paris"
    assert reader_zone(customer).key == "UTC"


def test_a_zone_is_validated_and_its_change_recorded(support_agent):
    with pytest.raises(ValidationError, match="not a time zone"):
        user_time_zone_set(user=support_agent, time_zone="Europe/Nowhere", by=support_agent)
    support_agent.refresh_from_db()
    assert support_agent.time_zone == ""
    user_time_zone_set(user=support_agent, time_zone="Europe/Berlin", by=support_agent)
    support_agent.refresh_from_db()
    assert support_agent.time_zone == "Europe/Berlin"
    assert support_agent.history.first().history_change_reason == "accounts.user.time_zone"


def test_a_staff_member_chooses_a_zone_and_the_admin_speaks_it(client, support_agent, settings):
    client.force_login(support_agent)
    page = client.get(PAGE).content.decode()
    assert f"The processor&#x27;s ({settings.PROCESSOR_TIME_ZONE})" in page
    assert f"Times in {settings.PROCESSOR_TIME_ZONE}" in page
    response = client.post(PAGE, {"time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    admin_index = client.get(reverse("admin:index")).content.decode()
    assert "Times in Europe/Berlin" in admin_index
    response = client.post(PAGE, {"time_zone": "Europe/Nowhere"})
    assert response.status_code == 200
    assert "is not a time zone" in response.content.decode()
    support_agent.refresh_from_db()
    assert support_agent.time_zone == "Europe/Berlin"


def test_the_page_is_for_signed_in_staff_only(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(UserFactory())
    assert client.get(PAGE).status_code == 302
