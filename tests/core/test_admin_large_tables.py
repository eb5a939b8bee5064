"""Admin pages that stay cheap when a table is large: a country column read from the row's
own value, and a staff-only choice list read with a plain filter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.breaches.models import BreachIncident
from apps.controllers.models import Controller
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_controllers_list_names_each_country_and_sorts_by_it(officer_client):
    factories.ControllerFactory(legal_name="Zeta GmbH", country="DE")
    factories.ControllerFactory(legal_name="Alpha Oy", country="FI")
    url = reverse("admin:controllers_controller_changelist")
    page = officer_client.get(url)
    content = page.content.decode()
    assert "Germany" in content and "Finland" in content
    assert '<th scope="col" class="sortable column-country' in content
    # Sorted by the column (Django's "o" parameter names the column by its position).
    position = list(page.context["cl"].list_display).index(
        next(c for c in page.context["cl"].list_display if getattr(c, "__name__", c) == "country")
    )
    ordered = officer_client.get(url, {"o": str(position)}).context["cl"].result_list
    codes = [str(c.country) for c in ordered if c.legal_name in ("Zeta GmbH", "Alpha Oy")]
    assert codes == ["DE", "FI"]


def test_a_country_cell_does_not_rebuild_the_countries_list(officer_client, monkeypatch):
    factories.ControllerFactory.create_batch(5)
    field = Controller._meta.get_field("country")
    built = []
    original = type(field).flatchoices

    def counted(self):
        built.append(1)
        return original.fget(self)

    monkeypatch.setattr(type(field), "flatchoices", property(counted))
    page = officer_client.get(reverse("admin:controllers_controller_changelist"))
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 5
    # Once at most for the page (its country filter), never once per row.
    assert len(built) <= 1


def test_an_incident_owner_is_chosen_among_staff_with_a_plain_filter(client, security_lead):
    customer = factories.MembershipFactory(user__full_name="Customer Person").user
    incident = factories.BreachIncidentFactory()
    client.force_login(security_lead)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:breaches_breachincident_change", args=[incident.pk]))
    owner_field = page.context["adminform"].form.fields["owner"]
    choices = set(owner_field.queryset)
    assert security_lead in choices and customer not in choices
    users_read = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert users_read and not any("EXISTS" in sql for sql in users_read)
    # A customer posted as owner is still refused, as before.
    assert not owner_field.queryset.filter(pk=customer.pk).exists()
    assert BreachIncident.objects.filter(owner=customer).count() == 0
