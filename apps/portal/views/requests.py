"""The customer portal's pages for data-subject requests.

Every ticket and attachment is fetched through `request.controller`'s tickets, so another
customer's reference or file id is a 404. Writes go through apps.dsar.services, the same rules
as the admin's; auditors (read-only) get no forms, and `portal_view` refuses their POSTs.
"""

import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from apps.core.legaltime import format_instant
from apps.dsar import selectors
from apps.dsar.models import DsarAttachment, DsarTicket
from apps.dsar.services import (
    DSAR_TRANSITIONS,
    dsar_attachment_can_download,
    dsar_reply_add,
    dsar_ticket_submit,
    dsar_ticket_transition,
)
from apps.dsar.views import attachment_response
from apps.portal.forms.requests import PortalReplyForm, PortalTicketSubmitForm, PortalWithdrawForm
from apps.portal.paging import paginate, status_filter
from apps.portal.tenancy import portal_view

Status = DsarTicket.Status


def _ticket_or_404(request, reference: str) -> DsarTicket:
    return get_object_or_404(
        DsarTicket.objects.for_controller(request.controller).select_related("controller"),
        reference=reference,
    )


@portal_view
def ticket_list(request):
    which = status_filter(request, selectors.TICKET_FILTERS)
    tickets = selectors.dsar_tickets_filtered(controller=request.controller, which=which)
    page = paginate(request, tickets)
    now = timezone.now()
    page.object_list = list(page.object_list)
    for ticket in page.object_list:
        # The ticket's own clock, as the admin reads it: days counted where the controller is.
        ticket.deadline_clock = ticket.clock(now)
    return render(
        request,
        "portal/dsar/ticket_list.html",
        {
            "page": page,
            "which": which,
            "filters": [("all", "All"), ("open", "Open"), ("closed", "Closed")],
            "can_write": request.membership.can_write,
        },
    )


@portal_view
def ticket_submit(request):
    can_write = request.membership.can_write
    # Read and written in the reader's zone, which portal_view activated.
    zone_name = timezone.get_current_timezone_name()
    if request.method == "POST":
        form = PortalTicketSubmitForm(request.POST, zone_name=zone_name)
        if form.is_valid():
            data = form.cleaned_data
            token = data["submission_token"]
            already = bool(token) and (
                DsarTicket.objects.for_controller(request.controller)
                .filter(submission_token=token)
                .exists()
            )
            try:
                ticket = dsar_ticket_submit(
                    controller=request.controller,
                    submitted_by=request.user,
                    request_type=data["request_type"],
                    data_subject_identifier=data["data_subject_identifier"],
                    received_at=data["received_at"],
                    details=data["details"],
                    submission_token=token,
                )
            except ValidationError as error:
                # A ValidationError with a field dict lands on those fields.
                form.add_error(None, error)
            else:
                if already:
                    messages.info(request, f"This request was already submitted as {ticket}.")
                else:
                    messages.success(
                        request,
                        f"Request {ticket} is submitted. Its statutory deadline is "
                        f"{format_instant(ticket.due_at, ticket.zone, zone_name=True)}.",
                    )
                return redirect("portal:dsar_ticket_detail", ticket_reference=ticket.reference)
    else:
        # A fresh token each time the form is shown; the same form posted twice makes one ticket.
        form = PortalTicketSubmitForm(
            initial={"submission_token": secrets.token_urlsafe(32)}, zone_name=zone_name
        )
    return render(request, "portal/dsar/ticket_submit.html", {"form": form, "can_write": can_write})


@portal_view
def ticket_detail(request, ticket_reference: str):
    ticket = _ticket_or_404(request, ticket_reference)
    can_write = request.membership.can_write
    reply_form = PortalReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and reply_form.is_valid():
        try:
            dsar_reply_add(
                ticket=ticket,
                author=request.user,
                body=reply_form.cleaned_data["body"],
                visible_to_customer=True,
            )
        except ValidationError as error:
            # Refusals of the service concern the ticket (closed, say), not what was typed.
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Your reply is added; our team is told.")
        return redirect("portal:dsar_ticket_detail", ticket_reference=ticket.reference)
    return render(
        request,
        "portal/dsar/ticket_detail.html",
        {
            "ticket": ticket,
            "deadline_clock": ticket.clock(),
            # The day ends where the controller is: said too when the reader is elsewhere.
            "deadline_local": (
                format_instant(ticket.due_at, ticket.zone, zone_name=True)
                if ticket.zone.key != timezone.get_current_timezone_name()
                else ""
            ),
            # Told in the controller's zone: it tells the data subject.
            "inform_subject_by": format_instant(
                ticket.statutory_due_at, ticket.zone, zone_name=True
            ),
            "timeline": selectors.dsar_timeline_for_customer(ticket=ticket),
            "attachments": selectors.dsar_attachments_for_customer(ticket=ticket),
            "propagations": selectors.dsar_propagations_for_customer(ticket=ticket),
            "reply_form": reply_form,
            "can_write": can_write,
            "may_withdraw": can_write and Status.WITHDRAWN in DSAR_TRANSITIONS[ticket.status],
        },
    )


@portal_view
def ticket_withdraw(request, ticket_reference: str):
    ticket = _ticket_or_404(request, ticket_reference)
    allowed = Status.WITHDRAWN in DSAR_TRANSITIONS[ticket.status]
    form = PortalWithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            dsar_ticket_transition(
                ticket=ticket, to=Status.WITHDRAWN, by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Request {ticket} is withdrawn.")
        return redirect("portal:dsar_ticket_detail", ticket_reference=ticket.reference)
    return render(
        request,
        "portal/dsar/ticket_withdraw.html",
        {
            "ticket": ticket,
            "form": form,
            "allowed": allowed,
            "can_write": request.membership.can_write,
        },
    )


@portal_view
def attachment_download(request, ticket_reference: str, attachment_id: int):
    attachment = get_object_or_404(
        DsarAttachment.objects.filter(
            ticket__controller=request.controller, ticket__reference=ticket_reference
        ).select_related("ticket"),
        pk=attachment_id,
    )
    # An internal file is as absent as another customer's: a 403 would say it exists.
    if not dsar_attachment_can_download(user=request.user, attachment=attachment):
        raise Http404("No such file.")
    return attachment_response(attachment)
