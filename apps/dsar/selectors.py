"""Reads that need care: what a customer may see of a ticket, and the staff work queue."""

from django.db.models import QuerySet

from apps.controllers.models import Controller
from apps.dsar.models import DsarAttachment, DsarPropagation, DsarTicket, DsarTimelineEntry

# The list filters of the portal: which statuses each one shows.
TICKET_FILTERS = {
    "all": None,
    "open": DsarTicket.OPEN_STATUSES,
    "closed": tuple(s for s in DsarTicket.Status.values if s not in DsarTicket.OPEN_STATUSES),
}


def dsar_tickets_for_controller(*, controller: Controller) -> QuerySet[DsarTicket]:
    """A customer's tickets, newest first, with what a list shows."""
    return (
        DsarTicket.objects.for_controller(controller)
        .select_related("controller")
        .order_by("-submitted_at")
    )


def dsar_tickets_filtered(*, controller: Controller, which: str = "all") -> QuerySet[DsarTicket]:
    """The customer's tickets, limited to open or closed ones (`which` from TICKET_FILTERS)."""
    tickets = dsar_tickets_for_controller(controller=controller)
    statuses = TICKET_FILTERS.get(which)
    return tickets if statuses is None else tickets.filter(status__in=statuses)


def dsar_open_ticket_count(*, controller: Controller) -> int:
    return DsarTicket.objects.for_controller(controller).open().count()


def dsar_propagations_for_customer(*, ticket: DsarTicket) -> QuerySet[DsarPropagation]:
    """Where the request had to reach (Art. 19) and how far it got; the subprocessor's name and
    the status, no internal note."""
    return ticket.propagations.select_related("subprocessor").order_by("subprocessor__name")


def dsar_timeline_for_customer(*, ticket: DsarTicket) -> QuerySet[DsarTimelineEntry]:
    """Replies, status changes and extensions; never internal notes."""
    return ticket.timeline.filter(visible_to_customer=True).select_related("author")


def dsar_attachments_for_customer(*, ticket: DsarTicket) -> QuerySet[DsarAttachment]:
    return ticket.attachments.filter(visible_to_customer=True)


def dsar_work_queue() -> QuerySet[DsarTicket]:
    """Open tickets, soonest statutory deadline first."""
    return DsarTicket.objects.open().select_related("controller", "assignee").order_by("due_at")
