"""Reads that need care: what a customer may see of a ticket, and the staff work queue."""

from django.db.models import QuerySet

from apps.dsar.models import DsarAttachment, DsarTicket, DsarTimelineEntry


def dsar_tickets_for_controller(*, controller) -> QuerySet[DsarTicket]:
    """A customer's tickets, newest first, with what a list shows."""
    return (
        DsarTicket.objects.for_controller(controller)
        .select_related("controller")
        .order_by("-submitted_at")
    )


def dsar_timeline_for_customer(*, ticket: DsarTicket) -> QuerySet[DsarTimelineEntry]:
    """Replies, status changes and extensions; never internal notes."""
    return ticket.timeline.filter(visible_to_customer=True).select_related("author")


def dsar_attachments_for_customer(*, ticket: DsarTicket) -> QuerySet[DsarAttachment]:
    return ticket.attachments.filter(visible_to_customer=True)


def dsar_work_queue() -> QuerySet[DsarTicket]:
    """Open tickets, soonest statutory deadline first."""
    return DsarTicket.objects.open().select_related("controller", "assignee").order_by("due_at")
