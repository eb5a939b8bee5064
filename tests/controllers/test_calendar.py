"""A controller's calendar: its time zone (from its country unless set), its region for public
holidays, and the non-working days a Privacy Officer adds."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.controllers.models import NonWorkingDay
from tests.factories import ControllerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "country,zone",
    [("DE", "Europe/Berlin"), ("IE", "Europe/Dublin"), ("US", "America/New_York")],
)
def test_the_zone_defaults_from_the_country(country, zone):
    controller = ControllerFactory(country=country)
    assert controller.time_zone == "" and controller.time_zone_name == zone
    assert controller.zone.key == zone


def test_a_zone_set_wins_over_the_country():
    controller = ControllerFactory(country="US", time_zone="America/Los_Angeles")
    assert controller.zone.key == "America/Los_Angeles"


def test_a_bad_zone_or_region_is_refused_by_the_model():
    controller = ControllerFactory.build(country="DE", time_zone="Europe/Atlantis")
    with pytest.raises(ValidationError) as error:
        controller.full_clean()
    assert "time_zone" in error.value.message_dict
    controller = ControllerFactory.build(country="DE", holiday_subdivision="ENG")
    with pytest.raises(ValidationError) as error:
        controller.full_clean()
    assert "not a region of DE" in error.value.message_dict["holiday_subdivision"][0]


def change_data(controller, **overrides):
    data = {
        "legal_name": controller.legal_name,
        "registration_number": "",
        "address": controller.address,
        "country": str(controller.country),
        "contact_name": controller.contact_name,
        "contact_email": controller.contact_email,
        "dpo_name": "",
        "dpo_email": "",
        "eu_representative": "",
        "dpa_version": controller.dpa_version,
        "dpa_accepted_on": "2026-01-01",
        "status": "active",
        "terminated_on": "",
        "time_zone": "",
        "holiday_subdivision": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_staff_set_the_zone_and_region_in_the_admin(officer_client):
    controller = ControllerFactory(country="DE")
    url = reverse("admin:controllers_controller_change", args=[controller.pk])
    page = officer_client.get(url).content.decode()
    assert "The main time zone of its country" in page
    assert "At midnight in Europe/Berlin" in page
    response = officer_client.post(
        url, change_data(controller, time_zone="Europe/Busingen", holiday_subdivision="BW")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    controller.refresh_from_db()
    assert (controller.time_zone, controller.holiday_subdivision) == ("Europe/Busingen", "BW")


def test_a_bad_zone_or_region_in_the_admin_is_a_message_and_changes_nothing(officer_client):
    controller = ControllerFactory(country="DE")
    url = reverse("admin:controllers_controller_change", args=[controller.pk])
    response = officer_client.post(url, change_data(controller, time_zone="Mars/Olympus"))
    assert response.status_code == 200
    assert "is not a time zone" in response.content.decode()
    response = officer_client.post(url, change_data(controller, holiday_subdivision="ZZ"))
    assert response.status_code == 200
    assert "not a region of DE" in response.content.decode()
    controller.refresh_from_db()
    assert (controller.time_zone, controller.holiday_subdivision) == ("", "")


def test_a_privacy_officer_adds_a_non_working_day_with_history(officer_client, officer):
    response = officer_client.post(
        reverse("admin:controllers_nonworkingday_add"),
        {"day": "2026-06-15", "name": "Office move", "country": "DE"},
    )
    assert response.status_code == 302
    day = NonWorkingDay.objects.get()
    assert (day.day, day.name, str(day.country)) == (date(2026, 6, 15), "Office move", "DE")
    row = day.history.get()
    assert row.history_user == officer
    assert row.history_change_reason == "controllers.non_working_day.saved"


def test_support_agents_cannot_add_non_working_days(client, support_agent):
    client.force_login(support_agent)
    response = client.post(
        reverse("admin:controllers_nonworkingday_add"),
        {"day": "2026-06-15", "name": "Office move", "country": ""},
    )
    assert response.status_code == 403
    assert not NonWorkingDay.objects.exists()
