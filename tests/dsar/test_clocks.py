from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.dsar.deadlines import dsar_calendar_for
from apps.dsar.services import dsar_ticket_extend, dsar_ticket_transition
from apps.notifications.models import Notification
from tests.factories import DsarTicketFactory

pytestmark = pytest.mark.django_db


def test_an_extension_counts_its_months_from_the_receipt(support_agent):
    ticket = DsarTicketFactory(received_at=timezone.now() - timedelta(days=1))
    first_month = ticket.statutory_due_at
    dsar_ticket_extend(ticket=ticket, months=2, reason="Many systems", by=support_agent)
    calendar = dsar_calendar_for(controller=ticket.controller)
    assert ticket.statutory_due_at == first_month == calendar.end(ticket.received_at, 1)
    assert ticket.due_at == calendar.end(ticket.received_at, 3)
    assert ticket.extension_months == 2 and ticket.extended_at is not None


def test_extension_tells_the_customer_and_shows_on_the_timeline(support_agent):
    ticket = DsarTicketFactory()
    dsar_ticket_extend(ticket=ticket, months=1, reason="Complex request", by=support_agent)
    recipients = set(
        Notification.objects.filter(kind="dsar.extended").values_list("recipient", flat=True)
    )
    assert recipients == {ticket.controller.contact_email}
    entry = ticket.timeline.get()
    assert entry.kind == "extension" and entry.visible_to_customer
    assert ticket.history.first().history_change_reason == "dsar.ticket.extended"


@pytest.mark.parametrize("months", [3, 0, -1])
def test_extension_beyond_two_months_is_refused(support_agent, months):
    ticket = DsarTicketFactory()
    with pytest.raises(ValidationError, match="one or two further months"):
        dsar_ticket_extend(ticket=ticket, months=months, reason="Because", by=support_agent)
    ticket.refresh_from_db()
    assert ticket.extension_months == 0
    assert not Notification.objects.exists()


def test_extension_without_a_reason_is_refused(support_agent):
    ticket = DsarTicketFactory()
    with pytest.raises(ValidationError, match="needs a reason"):
        dsar_ticket_extend(ticket=ticket, months=1, reason="  ", by=support_agent)


def test_extension_after_the_first_month_ended_is_refused(support_agent):
    ticket = DsarTicketFactory(received_at=timezone.now() - timedelta(days=40))
    with pytest.raises(ValidationError, match="Too late to extend"):
        dsar_ticket_extend(ticket=ticket, months=1, reason="Late", by=support_agent)
    ticket.refresh_from_db()
    assert ticket.due_at == ticket.statutory_due_at


def test_waiting_on_the_customer_moves_our_response_target_later(support_agent):
    ticket = DsarTicketFactory()
    target = ticket.response_target_at
    dsar_ticket_transition(ticket=ticket, to="awaiting_customer", by=support_agent)
    pause = ticket.pauses.get()
    assert pause.ended_at is None
    # Pretend the pause began three days ago.
    pause.started_at -= timedelta(days=3)
    pause.save()
    dsar_ticket_transition(ticket=ticket, to="in_progress", by=support_agent)
    pause.refresh_from_db()
    assert pause.ended_at is not None
    moved = ticket.response_target_at - target
    assert timedelta(days=3) <= moved < timedelta(days=3, seconds=30)
    # The statutory clock does not pause.
    assert ticket.due_at == ticket.statutory_due_at
