import itertools

import pytest
from django.core.exceptions import ValidationError

from apps.dsar.models import DsarTicket
from apps.dsar.services import DSAR_TRANSITIONS, dsar_propagation_update, dsar_ticket_transition
from apps.notifications.models import Notification
from tests.factories import DsarTicketFactory

pytestmark = pytest.mark.django_db
STATUSES = DsarTicket.Status.values
ALLOWED = {
    ("new", "in_progress"),
    ("new", "awaiting_customer"),
    ("new", "rejected"),
    ("new", "withdrawn"),
    ("in_progress", "awaiting_customer"),
    ("in_progress", "completed"),
    ("in_progress", "rejected"),
    ("in_progress", "withdrawn"),
    ("awaiting_customer", "in_progress"),
    ("awaiting_customer", "rejected"),
    ("awaiting_customer", "withdrawn"),
}


def test_the_table_is_the_documented_workflow():
    assert {(a, b) for a, targets in DSAR_TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize("start,to", list(itertools.product(STATUSES, STATUSES)))
def test_every_pair_of_states_is_allowed_or_refused_as_the_table_says(start, to, support_agent):
    ticket = DsarTicketFactory(
        status=start, rejection_reason="excessive" if start == "rejected" else ""
    )
    if start == "awaiting_customer":
        ticket.pauses.create(started_at=ticket.submitted_at)
    if (start, to) in ALLOWED:
        entry = dsar_ticket_transition(
            ticket=ticket, to=to, by=support_agent, rejection_reason="excessive"
        )
        assert ticket.status == to
        assert (entry.from_status, entry.to_status) == (start, to)
    else:
        with pytest.raises(ValidationError, match="cannot go from|is already"):
            dsar_ticket_transition(
                ticket=ticket, to=to, by=support_agent, rejection_reason="excessive"
            )
        ticket.refresh_from_db()
        assert ticket.status == start
        assert not ticket.timeline.exists()


def test_unknown_status_is_refused(support_agent):
    ticket = DsarTicketFactory()
    with pytest.raises(ValidationError, match="is not a status"):
        dsar_ticket_transition(ticket=ticket, to="closed", by=support_agent)


def test_rejection_requires_a_reason(support_agent):
    ticket = DsarTicketFactory()
    with pytest.raises(ValidationError, match="reason for the rejection"):
        dsar_ticket_transition(ticket=ticket, to="rejected", by=support_agent)
    ticket.refresh_from_db()
    assert ticket.status == "new"
    dsar_ticket_transition(
        ticket=ticket, to="rejected", by=support_agent, rejection_reason="identity_unverifiable"
    )
    assert ticket.rejection_reason == "identity_unverifiable"
    assert ticket.closed_at is not None
    assert "Identity cannot be verified" in ticket.timeline.get().body


def test_status_change_is_on_the_timeline_in_history_and_told_to_the_customer(
    support_agent, owner, controller
):
    ticket = DsarTicketFactory(controller=controller, submitted_by=owner)
    entry = dsar_ticket_transition(ticket=ticket, to="in_progress", by=support_agent)
    assert entry.visible_to_customer and entry.author == support_agent
    latest = ticket.history.first()
    assert latest.history_change_reason == "dsar.ticket.in_progress"
    assert latest.history_user == support_agent
    recipients = set(
        Notification.objects.filter(kind="dsar.status").values_list("recipient", flat=True)
    )
    assert recipients == {"privacy@acme.test", "owner@acme.test"}


def test_a_customer_may_only_withdraw(owner, controller):
    ticket = DsarTicketFactory(controller=controller)
    with pytest.raises(ValidationError, match="Only our staff"):
        dsar_ticket_transition(ticket=ticket, to="in_progress", by=owner)
    dsar_ticket_transition(ticket=ticket, to="withdrawn", by=owner)
    assert ticket.status == "withdrawn"


def test_ticket_cannot_complete_while_a_propagation_is_pending(
    submit, subprocessors, support_agent
):
    ticket = submit(request_type="erasure")
    dsar_ticket_transition(ticket=ticket, to="in_progress", by=support_agent)
    with pytest.raises(ValidationError, match="propagation to Resend, Stripe is pending"):
        dsar_ticket_transition(ticket=ticket, to="completed", by=support_agent)
    stripe, resend = (ticket.propagations.get(subprocessor=s) for s in subprocessors)
    dsar_propagation_update(propagation=stripe, status="done", by=support_agent)
    with pytest.raises(ValidationError, match="propagation to Resend is pending"):
        dsar_ticket_transition(ticket=ticket, to="completed", by=support_agent)
    dsar_propagation_update(
        propagation=resend, status="refused", note="Legal hold on invoices", by=support_agent
    )
    dsar_ticket_transition(ticket=ticket, to="completed", by=support_agent)
    assert ticket.status == "completed"


def test_refused_propagation_needs_a_note(submit, subprocessors, support_agent):
    ticket = submit(request_type="erasure")
    row = ticket.propagations.first()
    with pytest.raises(ValidationError, match="why the subprocessor refused"):
        dsar_propagation_update(propagation=row, status="refused", by=support_agent)
    row.refresh_from_db()
    assert row.status == "pending"
