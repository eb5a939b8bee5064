"""The admin's lists: titles that say what the page is, the deadline first, empty lists that say
why, and filters that list only the values in use."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import BreachIncidentFactory, ControllerFactory, DsarTicketFactory

pytestmark = pytest.mark.django_db


def column_headers(html: str) -> list[str]:
    head = html.split('<table id="result_list">')[1].split("</thead>")[0]
    return re.findall(r'<th scope="col" class="[^"]*column-([\w]+)', head)


def test_the_request_list_is_titled_by_what_it_holds_and_leads_with_the_deadline(officer_client):
    DsarTicketFactory()
    page = officer_client.get(reverse("admin:dsar_dsarticket_changelist")).content.decode()
    assert "<h1>Data-subject requests</h1>" in page
    assert "Select DSAR ticket to change" not in page
    assert column_headers(page)[:3] == ["reference", "days_left", "status"]


def test_the_incident_list_leads_with_its_clock(officer_client):
    BreachIncidentFactory()
    page = officer_client.get(reverse("admin:breaches_breachincident_changelist")).content.decode()
    assert "<h1>Breach incidents</h1>" in page
    assert column_headers(page)[:2] == ["reference", "target_clock"]


def test_an_empty_overdue_list_says_it_is_good_news(officer_client):
    DsarTicketFactory(received_at=timezone.now() - timedelta(days=1))
    page = officer_client.get(
        reverse("admin:dsar_dsarticket_changelist"), {"deadline": "overdue"}
    ).content.decode()
    assert "No overdue requests: every open request is within its deadline." in page


def test_a_list_with_rows_shows_no_empty_message(officer_client):
    ticket = DsarTicketFactory()
    ticket.due_at = timezone.now() - timedelta(days=2)
    ticket.save()
    page = officer_client.get(
        reverse("admin:dsar_dsarticket_changelist"), {"deadline": "overdue"}
    ).content.decode()
    assert "empty-list-message" not in page
    assert ticket.reference in page


def test_the_country_filter_lists_only_the_countries_in_use(officer_client):
    ControllerFactory(country="IE")
    ControllerFactory(country="FR")
    page = officer_client.get(reverse("admin:controllers_controller_changelist")).content.decode()
    sidebar = page.split('id="changelist-filter"')[1]
    assert "country__exact=IE" in sidebar
    assert "country__exact=FR" in sidebar
    assert "country__exact=DE" not in sidebar
    filtered = officer_client.get(
        reverse("admin:controllers_controller_changelist"), {"country__exact": "FR"}
    )
    assert filtered.status_code == 200
