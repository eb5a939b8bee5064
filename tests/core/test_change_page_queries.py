"""The busiest admin change and history pages, and the trail, cost an exact number of queries.

Every admin page pays a base: the session, the user, the staff second factor's device, and at the
end the session's save (SESSION_SAVE_EVERY_REQUEST: its own savepoint, UPDATE, release), plus the
request's savepoint (ATOMIC_REQUESTS, inside the test's transaction). The counts below include
those, on SQLite and PostgreSQL alike; a superuser's permissions are not read. Each page is
opened once before it is counted, so per-process caches (content types, site) are warm.
"""

import pytest
from django.urls import reverse

from apps.breaches.models import BreachUpdate, BreachUpdateDelivery
from apps.trail.services import trail_seal_pending
from tests import factories


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
    # 1 session, 2 user, 3 OTP device, 4 savepoint, 5 the incident with its clocks, owner and
    # who confirmed; 6 the data categories and 7 the data subject categories (every choice, the
    # selected ones marked); the selected 8 affected subprocessors, 9 activities and
    # 10 controllers (reused by their autocompletes); 11 the notices with their controllers and
    # who acknowledged; 12 the updates with their authors; 13 the deliveries with their
    # controllers; 14 release; 15 the owner's choices (staff); 16 the proposed controllers (one
    # query); 17 savepoint, 18 session update, 19 release.
    with django_assert_num_queries(19):
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
    # 1 session, 2 user, 3 OTP device, 4 savepoint, 5 the activity; 6 the data categories,
    # 7 data subject categories, 8 subprocessors and 9 security measures (every choice, the
    # selected ones marked); 10 the selected controllers (reused by the autocomplete);
    # 11 release; 12 the processor's autocomplete (the selected processor); 13 savepoint,
    # 14 session update, 15 release.
    with django_assert_num_queries(15):
        response = superuser_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    for controller in controllers:
        assert controller.legal_name in page


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
    # 1 session, 2 user, 3 OTP device, 4 savepoint, 5 the incident, 6 count and 7 the page of
    # its history rows with who changed them, 8 the five many-to-many fields' history rows (one
    # UNION ALL), the objects the changes name, one query per model: 9 the users (owner, who
    # confirmed), 10 the controllers and 11 the data categories (the creation row lists them);
    # 12 release, 13 savepoint, 14 session update, 15 release.
    with django_assert_num_queries(15):
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
    # 1 session, 2 user, 3 OTP device, 4 savepoint, 5 the ticket, 6 count and 7 the page of its
    # history rows with their controllers, submitters, assignees and who changed them; the
    # values the changes name: 8 the controllers, 9 the users (assignees, one query);
    # 10 release, 11 savepoint, 12 session update, 13 release.
    with django_assert_num_queries(13):
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
    # 1 session, 2 user, 3 OTP device, 4 savepoint, 5 the page of entries (a keyset page, no
    # count) with their controllers and each one's previous history row id; one per history
    # model on the page: 6 the controller's and 7 the memberships' history rows; 8 the users the
    # memberships name (the controller is the entries' own: no query); 9 release, 10 savepoint,
    # 11 session update, 12 release. The controller filter is picked by name: 13 the chosen
    # controller is read to check the choice and 14 again to show its name in the picker.
    with django_assert_num_queries(14):
        response = superuser_client.get(url)
    assert response.status_code == 200
    add(48)
    with django_assert_num_queries(14):
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

    # 1 session, 2 user, 3 OTP device, 4 savepoint, 5 the ticket; 6 the timeline with its
    # authors, 7 the pauses, 8 the attachments with who added them, 9 the propagations with their
    # subprocessors, each row naming the ticket without a query; 10 release; 11 the controller's
    # autocomplete (the selected controller), 12 the assignee's choices (active staff);
    # 13 savepoint, 14 session update, 15 release.
    propagate(2)
    warm(superuser_client, url)
    with django_assert_num_queries(15):
        response = superuser_client.get(url)
    assert response.status_code == 200
    propagate(48)
    with django_assert_num_queries(15):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count(ticket.reference) >= 50
