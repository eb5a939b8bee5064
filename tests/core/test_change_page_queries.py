"""The busiest admin change and history pages, and the trail, cost an exact number of queries.

Every admin page pays a base: the session, and the user read with its permissions and its
confirmed second-factor devices (apps.accounts.backends: the session's device is checked against
them with no query of its own), plus the request's savepoint (ATOMIC_REQUESTS, inside the test's
transaction). The session is not saved again within SESSION_REFRESH_SECONDS of its last save.
The counts below include those, on SQLite and PostgreSQL alike, except the trail's: it reads
the history rows of all its models in one query on PostgreSQL only, so its counts are
PostgreSQL's. Each page is opened once before it is counted, so per-process caches (content
types, site) are warm.
"""

import pytest
from django.urls import reverse

from apps.breaches.models import BreachUpdate, BreachUpdateDelivery
from apps.dsar.models import DsarTicket
from apps.trail.services import trail_seal_pending
from tests import factories
from tests.core.test_admin_queries import expected_queries


@pytest.fixture
def superuser_client(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    client.force_login(superuser)
    return client


def warm(client, url) -> None:
    """Open the page once: the per-process caches (content types, site) are filled."""
    assert client.get(url).status_code == 200


def test_breach_incident_change_page_reads_each_many_to_many_field_once(
    superuser_client, django_assert_num_queries
):
    incident = factories.BreachIncidentFactory()
    controllers = factories.ControllerFactory.create_batch(3)
    activity = factories.ProcessingActivityFactory(controllers=controllers[:2])
    incident.data_categories.set(factories.DataCategoryFactory.create_batch(2))
    incident.data_subject_categories.set(factories.DataSubjectCategoryFactory.create_batch(2))
    incident.affected_subprocessors.set(factories.SubprocessorFactory.create_batch(2))
    incident.affected_activities.set([activity])
    incident.affected_controllers.set(controllers)
    for controller in controllers:
        factories.BreachNotificationFactory(incident=incident, controller=controller)
    update = BreachUpdate.objects.create(
        incident=incident, phase=1, text="Root cause found.", created_by=incident.owner
    )
    for controller in controllers:
        BreachUpdateDelivery.objects.create(update=update, controller=controller)
    url = reverse("admin:breaches_breachincident_change", args=[incident.pk])
    warm(superuser_client, url)
    # No transaction for a form that is only shown. 1 session, 2 user, 3 the incident with its
    # clocks, owner and who confirmed; 4 the data categories and 5 the data subject categories
    # (every choice, the selected ones marked); the selected 6 affected subprocessors,
    # 7 activities and 8 controllers (reused by their autocompletes); 9 the notices with their
    # controllers and who acknowledged; 10 the updates with their authors; 11 the deliveries
    # with their controllers; 12 the owner's choices (staff); 13 the proposed controllers.
    with django_assert_num_queries(13):
        response = superuser_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    for controller in controllers:
        assert controller.legal_name in page


def test_processing_activity_change_page_reads_each_many_to_many_field_once(
    superuser_client, django_assert_num_queries
):
    controllers = factories.ControllerFactory.create_batch(2)
    activity = factories.ProcessingActivityFactory(controllers=controllers)
    activity.subprocessors.set(factories.SubprocessorFactory.create_batch(2))
    url = reverse("admin:processors_processingactivity_change", args=[activity.pk])
    warm(superuser_client, url)
    # 1 session, 2 user, 3 the activity; 4 the data categories, 5 data subject categories,
    # 6 subprocessors and 7 security measures (every choice, the selected ones marked); 8 the
    # selected controllers (reused by the autocomplete); 9 the processor's autocomplete (the
    # selected processor).
    with django_assert_num_queries(9):
        response = superuser_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    for controller in controllers:
        assert controller.legal_name in page


def test_the_activity_change_page_costs_the_same_with_2_or_40_controllers_listed(
    superuser_client, django_assert_num_queries
):
    # The Privacy Officer's page in the benchmark lists 500 controllers: one query reads them
    # all, whatever their number.
    activity = factories.ProcessingActivityFactory(
        controllers=factories.ControllerFactory.create_batch(2)
    )
    url = reverse("admin:processors_processingactivity_change", args=[activity.pk])
    warm(superuser_client, url)
    with django_assert_num_queries(9):
        superuser_client.get(url)
    many = factories.ControllerFactory.create_batch(38)
    activity.controllers.add(*many)
    with django_assert_num_queries(9):
        response = superuser_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert all(controller.legal_name in page for controller in many)


def test_a_selected_choice_stays_selected_on_the_change_form(superuser_client):
    activity = factories.ProcessingActivityFactory()
    chosen, other = factories.DataCategoryFactory.create_batch(2)
    activity.data_categories.set([chosen])
    response = superuser_client.get(
        reverse("admin:processors_processingactivity_change", args=[activity.pk])
    )
    form = response.context["adminform"].form
    assert [c.pk for c in form.initial["data_categories"]] == [chosen.pk]
    choices = dict(form.fields["data_categories"].choices)
    assert chosen.pk in choices and other.pk in choices
    assert f'value="{chosen.pk}" selected' in response.content.decode()


def test_breach_incident_history_page_reads_its_many_to_many_history_in_one_query(
    superuser_client, django_assert_num_queries
):
    incident = factories.BreachIncidentFactory()
    controllers = factories.ControllerFactory.create_batch(2)
    for step in range(3):
        incident.data_categories.add(factories.DataCategoryFactory())
        incident.affected_controllers.set(controllers[: step % 2 + 1])
        incident._change_reason = f"test.touch.{step}"
        incident.save()
    url = reverse("admin:breaches_breachincident_history", args=[incident.pk])
    warm(superuser_client, url)
    # 1 session, 2 user, 3 the incident, 4 count and 5 the page of its history rows with who
    # changed them, 6 the five many-to-many fields' history rows (one UNION ALL), the objects the
    # changes name, one query per model: 7 the users (owner, who confirmed), 8 the controllers
    # and 9 the data categories (the creation row lists them).
    with django_assert_num_queries(9):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert "affected controllers" in response.content.decode().lower()


def test_dsar_ticket_history_page_names_its_users_in_one_query(
    superuser_client, django_assert_num_queries
):
    ticket = factories.DsarTicketFactory()
    for step in range(3):
        ticket.assignee = factories.StaffFactory()
        ticket._change_reason = f"test.touch.{step}"
        ticket.save()
    url = reverse("admin:dsar_dsarticket_history", args=[ticket.pk])
    warm(superuser_client, url)
    # 1 session, 2 user, 3 the ticket, 4 count and 5 the page of its history rows with their
    # controllers, submitters, assignees and who changed them; the values the changes name: 6 the
    # controllers, 7 the users (assignees, one query).
    with django_assert_num_queries(7):
        response = superuser_client.get(url)
    assert response.status_code == 200


def test_the_trail_of_one_controller_names_it_without_another_query(
    superuser_client, django_assert_num_queries
):
    controller = factories.ControllerFactory()
    url = reverse("admin:trail_trailentry_changelist") + f"?controller={controller.pk}"

    def add(n):
        factories.MembershipFactory.create_batch(n, controller=controller)
        # The newest entry is the controller's own: both models stay on the first page.
        controller.contact_name = f"Contact after {n}"
        controller.save()
        trail_seal_pending()  # what the commit does in a request; tests never commit

    add(2)
    warm(superuser_client, url)
    # 1 session, 2 user, 3 the page of entries (a keyset page, no count) with their controllers
    # and each one's previous history row id; 4 the history rows of both models on the page, the
    # controller's and the memberships', in one query (PostgreSQL); 5 the users the memberships
    # name, from the trail (the controller is the entries' own: no query). The controller
    # filter is picked by name: 6 the chosen controller is read to check the choice and 7 again
    # to show its name in the picker.
    with django_assert_num_queries(7):
        response = superuser_client.get(url)
    assert response.status_code == 200
    add(48)
    with django_assert_num_queries(7):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert controller.legal_name in response.content.decode()


def test_dsar_ticket_change_page_does_not_read_the_ticket_again_per_inline_row(
    superuser_client, django_assert_num_queries
):
    from apps.dsar.models import DsarPropagation

    ticket = factories.DsarTicketFactory()
    url = reverse("admin:dsar_dsarticket_change", args=[ticket.pk])

    def propagate(n):
        for _ in range(n):
            DsarPropagation.objects.create(
                ticket=ticket, subprocessor=factories.SubprocessorFactory()
            )

    # 1 session, 2 user, 3 the ticket; 4 the timeline with its authors, 5 the pauses, 6 the
    # attachments with who added them, 7 the propagations with their subprocessors, each row
    # naming the ticket without a query; 8 the controller's autocomplete (the selected
    # controller), 9 the assignee's choices (active staff).
    propagate(2)
    warm(superuser_client, url)
    with django_assert_num_queries(9):
        response = superuser_client.get(url)
    assert response.status_code == 200
    propagate(48)
    with django_assert_num_queries(9):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count(ticket.reference) >= 50


def test_the_new_incident_form_costs_a_fixed_number_of_queries(
    superuser_client, django_assert_num_queries
):
    factories.ControllerFactory.create_batch(3)
    factories.DataCategoryFactory.create_batch(2)
    url = reverse("admin:breaches_breachincident_add")
    warm(superuser_client, url)
    # 1 session, 2 user; the page, rendered after the view: 3 the owner's choices (staff), 4 the
    # data categories and 5 the data subject categories (every choice). The affected
    # controllers, activities and subprocessors are autocompletes: no query until someone types.
    with django_assert_num_queries(5):
        response = superuser_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("params", [{"status__exact": "new"}, {"q": "REFERENCE"}])
def test_the_request_queue_filtered_or_searched_costs_what_the_whole_list_costs(
    params, superuser_client, django_assert_num_queries
):
    tickets = factories.DsarTicketFactory.create_batch(30)
    if "q" in params:
        params = {"q": tickets[0].reference}
    url = reverse("admin:dsar_dsarticket_changelist")
    superuser_client.get(url, params)
    # The queries of the whole list (tests/core/test_admin_queries.py names them): the filter
    # and the search narrow the same queries, served by indexes (test_index_plans.py).
    with django_assert_num_queries(expected_queries(DsarTicket)):
        response = superuser_client.get(url, params)
    assert response.status_code == 200
    if "q" in params:
        assert response.context["cl"].result_count == 1
