"""The busiest admin change pages stay within a fixed number of queries.

Every admin page pays a base: the session, the user, the staff second factor's device, the
user's and its groups' permissions, and at the end the session's save (SESSION_SAVE_EVERY_REQUEST,
in its own transaction), plus the request's transaction (ATOMIC_REQUESTS). The counts below
include those, on SQLite and PostgreSQL alike; a superuser's permissions are not read.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.breaches.models import BreachUpdate, BreachUpdateDelivery
from tests import factories


@pytest.fixture
def superuser_client(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    client.force_login(superuser)
    return client


def count(client, url) -> tuple[int, list[str]]:
    client.get(url)  # warm the per-process caches (content types, site)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), [q["sql"][:120] for q in queries.captured_queries]


def test_breach_incident_change_page_reads_each_many_to_many_field_once(
    superuser_client, django_assert_max_num_queries
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
    # session, user, OTP device, BEGIN, incident (with its clocks, owner and who confirmed);
    # one each for the data categories and data subject categories (every choice,
    # the selected ones marked), affected subprocessors, activities and controllers (selected
    # only, reused by their autocompletes); notices with their controllers; updates with their
    # authors and incident; deliveries with their controllers; COMMIT; the owner's choices;
    # the proposed controllers (one query); BEGIN, session UPDATE, COMMIT.
    with django_assert_max_num_queries(20):
        response = superuser_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    for controller in controllers:
        assert controller.legal_name in page


def test_processing_activity_change_page_reads_each_many_to_many_field_once(
    superuser_client, django_assert_max_num_queries
):
    controllers = factories.ControllerFactory.create_batch(2)
    activity = factories.ProcessingActivityFactory(controllers=controllers)
    activity.subprocessors.set(factories.SubprocessorFactory.create_batch(2))
    url = reverse("admin:processors_processingactivity_change", args=[activity.pk])
    # session, user, OTP device, BEGIN, activity; one each for data categories,
    # data subject categories, subprocessors and security measures (every choice, the selected
    # ones marked) and controllers (selected only, reused by the autocomplete); COMMIT; the
    # processor's autocomplete; BEGIN, session UPDATE, COMMIT.
    with django_assert_max_num_queries(16):
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
    superuser_client, django_assert_max_num_queries
):
    incident = factories.BreachIncidentFactory()
    controllers = factories.ControllerFactory.create_batch(2)
    for step in range(3):
        incident.data_categories.add(factories.DataCategoryFactory())
        incident.affected_controllers.set(controllers[: step % 2 + 1])
        incident._change_reason = f"test.touch.{step}"
        incident.save()
    url = reverse("admin:breaches_breachincident_history", args=[incident.pk])
    superuser_client.get(url)
    # session, user, OTP device, BEGIN, incident, COUNT and page of history rows; the five m2m fields' history rows (one UNION ALL); the users the rows name (owner,
    # who changed: one query); COMMIT; BEGIN, session UPDATE, COMMIT.
    with django_assert_max_num_queries(13):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert "affected controllers" in response.content.decode().lower()


def test_dsar_ticket_history_page_names_its_users_in_one_query(
    superuser_client, django_assert_max_num_queries
):
    ticket = factories.DsarTicketFactory()
    for step in range(3):
        ticket.assignee = factories.StaffFactory()
        ticket._change_reason = f"test.touch.{step}"
        ticket.save()
    url = reverse("admin:dsar_dsarticket_history", args=[ticket.pk])
    superuser_client.get(url)
    # session, user, OTP device, BEGIN, ticket, COUNT and page of history rows;
    # the controller and the users (assignees, who changed) they name; COMMIT; BEGIN, session
    # UPDATE, COMMIT.
    with django_assert_max_num_queries(13):
        response = superuser_client.get(url)
    assert response.status_code == 200


def test_the_trail_of_one_controller_names_it_without_another_query(
    superuser_client, django_assert_max_num_queries
):
    controller = factories.ControllerFactory()
    for _ in range(3):
        factories.MembershipFactory(controller=controller)
    url = reverse("admin:audit_trailentry_changelist") + f"?controller={controller.pk}"
    superuser_client.get(url)
    # session, user, OTP device, BEGIN, the filter's controller, the entries
    # with their controllers; one per history model shown (controller, membership); the users
    # the changes name; COMMIT; BEGIN, session UPDATE, COMMIT.
    with django_assert_max_num_queries(13):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert controller.legal_name in response.content.decode()


def test_dsar_ticket_change_page_does_not_read_the_ticket_again_per_inline_row(
    superuser_client, django_assert_max_num_queries
):
    from apps.dsar.models import DsarPropagation

    ticket = factories.DsarTicketFactory()
    url = reverse("admin:dsar_dsarticket_change", args=[ticket.pk])

    def propagate(n):
        for _ in range(n):
            DsarPropagation.objects.create(
                ticket=ticket, subprocessor=factories.SubprocessorFactory()
            )

    propagate(2)
    with_two, _ = count(superuser_client, url)
    propagate(8)
    # session, user, OTP device, BEGIN, ticket; the timeline, pauses,
    # attachments and propagations (with their subprocessors), each row naming the ticket
    # without a query; COMMIT; the controller's autocomplete, the assignee's choices, a user
    # the page names; BEGIN, session UPDATE, COMMIT.
    with django_assert_max_num_queries(min(with_two, 15)):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count(ticket.reference) >= 10
