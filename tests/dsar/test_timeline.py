import pytest
from django.core.exceptions import ValidationError

from apps.dsar.selectors import dsar_attachments_for_customer, dsar_timeline_for_customer
from apps.dsar.services import dsar_reply_add, dsar_ticket_transition
from apps.notifications.models import Notification
from tests.factories import DsarTicketFactory

pytestmark = pytest.mark.django_db


def recipients(kind):
    return set(Notification.objects.filter(kind=kind).values_list("recipient", flat=True))


def test_internal_note_is_hidden_from_the_customer_and_tells_nobody(support_agent, controller):
    ticket = DsarTicketFactory(controller=controller)
    entry = dsar_reply_add(
        ticket=ticket, author=support_agent, body="Checked the logs", visible_to_customer=False
    )
    assert entry.kind == "note"
    assert list(dsar_timeline_for_customer(ticket=ticket)) == []
    assert not Notification.objects.exists()


def test_staff_reply_visible_to_the_customer_is_sent_to_contact_and_submitter(
    support_agent, controller, owner
):
    ticket = DsarTicketFactory(controller=controller, submitted_by=owner)
    entry = dsar_reply_add(
        ticket=ticket, author=support_agent, body="Please confirm the id", visible_to_customer=True
    )
    assert list(dsar_timeline_for_customer(ticket=ticket)) == [entry]
    assert recipients("dsar.reply") == {"privacy@acme.test", "owner@acme.test"}


def test_customer_reply_goes_to_the_assignee(controller, owner):
    ticket = DsarTicketFactory(controller=controller)
    entry = dsar_reply_add(
        ticket=ticket, author=owner, body="Here it is", visible_to_customer=False
    )
    assert entry.kind == "reply" and entry.visible_to_customer  # a customer's reply is never hidden
    assert recipients("dsar.customer_reply") == {ticket.assignee.email}


def test_outsider_cannot_reply(outsider):
    ticket = DsarTicketFactory()
    with pytest.raises(ValidationError, match="cannot act"):
        dsar_reply_add(ticket=ticket, author=outsider, body="Hi", visible_to_customer=True)
    assert not ticket.timeline.exists()


def test_customer_cannot_reply_on_a_closed_ticket(controller, owner, support_agent):
    ticket = DsarTicketFactory(controller=controller)
    dsar_ticket_transition(ticket=ticket, to="withdrawn", by=support_agent)
    with pytest.raises(ValidationError, match="closed"):
        dsar_reply_add(ticket=ticket, author=owner, body="Hi", visible_to_customer=True)


def test_empty_reply_is_refused(support_agent):
    with pytest.raises(ValidationError, match="Write something"):
        dsar_reply_add(
            ticket=DsarTicketFactory(), author=support_agent, body=" ", visible_to_customer=True
        )


def test_customer_timeline_lists_status_changes_and_replies_but_no_notes(support_agent):
    ticket = DsarTicketFactory()
    dsar_reply_add(ticket=ticket, author=support_agent, body="note", visible_to_customer=False)
    dsar_ticket_transition(ticket=ticket, to="in_progress", by=support_agent)
    dsar_reply_add(ticket=ticket, author=support_agent, body="reply", visible_to_customer=True)
    kinds = [e.kind for e in dsar_timeline_for_customer(ticket=ticket)]
    assert kinds == ["status", "reply"]
    assert list(dsar_attachments_for_customer(ticket=ticket)) == []
