"""History and the trail read as sentences: labels, names, the reader's zone, no codes."""

import re

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.core.reasons import reason_label
from apps.trail.models import TrailEntry
from apps.trail.services import trail_seal_pending
from tests import factories

TRAIL_URL = reverse("admin:trail_trailentry_changelist")
MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{6}")


def history_text(client, ticket) -> str:
    response = client.get(reverse("admin:dsar_dsarticket_history", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("dsar.ticket.in_progress", "Ticket in progress"),
        ("breaches.notification.sent", "Breach notice sent"),
        ("seed_demo", "Demo data loaded"),
        ("review.approved", "Review approved"),
        ("notifications.claimed", "Message taken for sending"),
        ("Customer asked by phone.", "Customer asked by phone."),
        ("", ""),
        (None, ""),
    ],
)
def test_reason_codes_read_as_words_and_typed_reasons_stay(code, words):
    assert reason_label(code) == words


def test_ticket_history_names_statuses_people_and_reasons(officer_client, officer):
    agent = factories.StaffFactory(full_name="Sam Agent", email="sam@calljmp.test")
    ticket = factories.DsarTicketFactory(assignee=agent)
    ticket.status = ticket.Status.IN_PROGRESS
    ticket._change_reason = "dsar.ticket.in_progress"
    ticket.save()
    ticket.assignee = None
    ticket._change_reason = "dsar.ticket.assigned"
    ticket.save()
    page = history_text(officer_client, ticket)
    assert "New&nbsp;&rarr;&nbsp;In progress" in page
    assert "in_progress" not in page
    assert f"{agent}&nbsp;&rarr;&nbsp;unassigned" in page
    assert "Deleted user" not in page and "pk=None" not in page
    assert "Ticket in progress" in page and "Ticket assigned" in page
    assert not MICROSECONDS.search(page)


def test_the_creation_row_lists_what_the_record_started_with(officer_client):
    controller = factories.ControllerFactory(legal_name="Acme Fitness Ltd")
    ticket = factories.DsarTicketFactory(controller=controller)
    page = history_text(officer_client, ticket)
    assert "Acme Fitness Ltd" in page  # the controller by name, not by id


def test_a_sign_in_writes_no_history_row_and_no_trail_entry(client, db):
    owner = factories.MembershipFactory(role="admin").user
    owner.set_password("a-long-password-1")
    owner.save()
    trail_seal_pending()
    before = (User.history.filter(id=owner.pk).count(), TrailEntry.objects.count())
    response = client.post(
        reverse("portal:login"), {"username": owner.email, "password": "a-long-password-1"}
    )
    assert response.status_code == 302
    trail_seal_pending()
    owner.refresh_from_db()
    assert owner.last_login is not None
    assert (User.history.filter(id=owner.pk).count(), TrailEntry.objects.count()) == before


def test_the_trail_is_filtered_by_picking_a_controller_and_a_person(
    officer_client, staff_auditor
):
    acme = factories.ControllerFactory(legal_name="Acme Fitness Ltd")
    birch = factories.ControllerFactory(legal_name="Birch Health GmbH")
    trail_seal_pending()
    officer_client.force_login(staff_auditor)
    page = officer_client.get(TRAIL_URL).content.decode()
    # Pickers that search by name (the admin's autocomplete), not id boxes.
    assert 'class="admin-autocomplete"' in page
    assert 'name="controller"' in page and 'name="user"' in page
    response = officer_client.get(TRAIL_URL, {"controller": acme.pk})
    shown = [entry.controller_id for entry, _ in response.context["rows"]]
    assert shown and set(shown) == {acme.pk}
    # The chosen controller is shown by name in its picker.
    assert f'<option value="{acme.pk}" selected>Acme Fitness Ltd</option>' in (
        response.content.decode()
    )
    assert birch.pk not in shown


def test_the_trail_filter_by_person(officer_client, officer, staff_auditor):
    from apps.core.history import history_save

    controller = factories.ControllerFactory()
    controller.contact_name = "Changed by the officer"
    history_save(controller, by=officer, reason="controllers.controller.edited")
    trail_seal_pending()
    officer_client.force_login(staff_auditor)
    response = officer_client.get(TRAIL_URL, {"user": officer.pk})
    rows = response.context["rows"]
    assert rows and {entry.user_id for entry, _ in rows} == {officer.pk}
    assert TrailEntry.objects.exclude(user_id=officer.pk).exists()


def test_an_unknown_person_in_the_trail_filter_is_a_message_not_everything(
    officer_client, staff_auditor
):
    factories.ControllerFactory()
    trail_seal_pending()
    officer_client.force_login(staff_auditor)
    response = officer_client.get(TRAIL_URL, {"user": 999_999})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
