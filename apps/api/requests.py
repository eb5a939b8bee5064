"""Data-subject requests: submit, list, read, the timeline, replies and files.

Every ticket is fetched through the organisation's own tickets, so another organisation's
reference is a 404. Writes go through apps.dsar.services, as the portal's and the admin's do.
"""

from typing import Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Header, Path, Router, Status
from ninja.files import UploadedFile

from apps.api.common import (
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    Cursor,
    Limit,
    OrganisationId,
    Reference,
    binary_response,
    link,
)
from apps.api.pagination import cursor_page
from apps.api.problems import Problem, django_errors
from apps.api.schemas import (
    AttachmentOut,
    AttachmentPage,
    ReplyIn,
    RequestIn,
    RequestOut,
    RequestPage,
    RequestType,
    TimelineEntryOut,
    TimelinePage,
)
from apps.api.scoping import REQUESTS, organisation_for
from apps.controllers.models import Controller
from apps.dsar import selectors
from apps.dsar.models import DsarAttachment, DsarTicket, DsarTimelineEntry
from apps.dsar.services import (
    dsar_attachment_add,
    dsar_attachment_can_download,
    dsar_reply_add,
    dsar_ticket_submit,
)
from apps.dsar.uploads import ALLOWED_TYPES
from apps.dsar.views import attachment_response

router = Router(tags=["Data-subject requests"])

StatusFilter = Literal[
    "open",
    "closed",
    "new",
    "in_progress",
    "awaiting_customer",
    "completed",
    "rejected",
    "withdrawn",
]
UploadField = File(..., description="PDF, ZIP, CSV, JSON, TXT, PNG or JPEG.")
# Idempotency keys share the tickets' submission tokens with the portal's forms, under a prefix
# of their own, so a key chosen by a client never meets a token the portal made.
IDEMPOTENCY_PREFIX = "api:"


def _ticket_or_404(controller: Controller, reference: str) -> DsarTicket:
    return get_object_or_404(
        DsarTicket.objects.for_controller(controller).select_related("controller"),
        reference=reference,
    )


def _request_out(request: HttpRequest, ticket: DsarTicket) -> dict:
    return {
        "reference": ticket.reference,
        "request_type": ticket.request_type,
        "status": ticket.status,
        "data_subject_identifier": ticket.data_subject_identifier,
        "details": ticket.details,
        "received_at": ticket.received_at,
        "submitted_at": ticket.submitted_at,
        "statutory_due_at": ticket.statutory_due_at,
        "due_at": ticket.due_at,
        "extension_months": ticket.extension_months,
        "extension_reason": ticket.extension_reason,
        "rejection_reason": ticket.rejection_reason,
        "resolution": ticket.resolution,
        "closed_at": ticket.closed_at,
        "url": link(
            request,
            "request_detail",
            organisation_id=ticket.controller_id,
            reference=ticket.reference,
        ),
    }


def _entry_out(entry: DsarTimelineEntry) -> dict:
    author = entry.author
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "author": None if author is None else ("processor" if author.is_staff else "customer"),
        "body": entry.body,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "created_at": entry.created_at,
    }


def _attachment_out(request: HttpRequest, attachment: DsarAttachment, ticket: DsarTicket) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": attachment.created_at,
        "download_url": link(
            request,
            "request_attachment_download",
            organisation_id=ticket.controller_id,
            reference=ticket.reference,
            attachment_id=attachment.pk,
        ),
    }


@router.get(
    "/organisations/{organisation_id}/requests",
    response={200: RequestPage, **READ_ERRORS},
    url_name="request_list",
    summary="List data-subject requests",
)
def request_list(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    status: StatusFilter | None = None,
    request_type: RequestType | None = None,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """The organisation's requests, newest first. `status` is one status, or `open` / `closed`.

    Queries: the page of tickets (one).
    """
    controller = organisation_for(request, organisation_id, area=REQUESTS)
    which = status if status in selectors.TICKET_FILTERS else "all"
    tickets = selectors.dsar_tickets_filtered(controller=controller, which=which)
    if status and status not in selectors.TICKET_FILTERS:
        tickets = tickets.filter(status=status)
    if request_type:
        tickets = tickets.filter(request_type=request_type)
    return cursor_page(
        request,
        tickets,
        keys=("-submitted_at", "-pk"),
        cursor=cursor,
        limit=limit,
        serialize=lambda ticket: _request_out(request, ticket),
    )


def _same_request(ticket: DsarTicket, payload: RequestIn) -> bool:
    return (
        ticket.request_type == payload.request_type
        and ticket.data_subject_identifier == payload.data_subject_identifier.strip()
        and ticket.received_at == payload.received_at
        and ticket.details == (payload.details or "")
    )


@router.post(
    "/organisations/{organisation_id}/requests",
    response={200: RequestOut, 201: RequestOut, **WRITE_ERRORS},
    url_name="request_create",
    summary="Pass on a data-subject request",
)
def request_create(
    request: HttpRequest,
    payload: RequestIn,
    organisation_id: int = OrganisationId,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=60,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string of yours (a UUID, your ticket id). Sending the request "
        "again with the same key returns the request already made (200), never a second one; "
        "the same key with other content is a 409.",
    ),
):
    """Submit a request received by your organisation (GDPR Art. 15-21). We are told at once.

    201 with the new request; 200 with the one already made for the same Idempotency-Key.
    """
    controller = organisation_for(
        request, organisation_id, area=REQUESTS, staff_write="dsar.add_dsarticket"
    )
    token = f"{IDEMPOTENCY_PREFIX}{idempotency_key}" if idempotency_key else ""
    if token:
        existing = (
            DsarTicket.objects.for_controller(controller).filter(submission_token=token).first()
        )
        if existing is not None:
            if not _same_request(existing, payload):
                raise Problem(
                    status=409,
                    detail=f"This Idempotency-Key was used for {existing.reference}, with other "
                    "content. Use a new key for a new request.",
                )
            return Status(200, _request_out(request, existing))
    ticket = dsar_ticket_submit(
        controller=controller,
        submitted_by=request.user,  # type: ignore[arg-type]
        request_type=payload.request_type,
        data_subject_identifier=payload.data_subject_identifier,
        received_at=payload.received_at,
        details=payload.details,
        submission_token=token,
    )
    return Status(201, _request_out(request, ticket))


@router.get(
    "/organisations/{organisation_id}/requests/{reference}",
    response={200: RequestOut, **READ_ERRORS},
    url_name="request_detail",
    summary="Read a data-subject request",
)
def request_detail(
    request: HttpRequest, organisation_id: int = OrganisationId, reference: str = Reference
):
    controller = organisation_for(request, organisation_id, area=REQUESTS)
    return _request_out(request, _ticket_or_404(controller, reference))


@router.get(
    "/organisations/{organisation_id}/requests/{reference}/timeline",
    response={200: TimelinePage, **READ_ERRORS},
    url_name="request_timeline",
    summary="The timeline of a request: replies, status changes, extensions",
)
def request_timeline(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    reference: str = Reference,
    kind: Literal["reply", "status", "extension"] | None = None,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """Oldest first; our internal notes are never shown. Queries: the ticket, the page."""
    controller = organisation_for(request, organisation_id, area=REQUESTS)
    ticket = _ticket_or_404(controller, reference)
    entries = selectors.dsar_timeline_for_customer(ticket=ticket)
    if kind:
        entries = entries.filter(kind=kind)
    return cursor_page(
        request,
        entries,
        keys=("created_at", "pk"),
        cursor=cursor,
        limit=limit,
        serialize=_entry_out,
    )


@router.post(
    "/organisations/{organisation_id}/requests/{reference}/replies",
    response={201: TimelineEntryOut, **WRITE_ERRORS},
    url_name="request_reply_add",
    summary="Reply on a request",
)
def request_reply_add(
    request: HttpRequest,
    payload: ReplyIn,
    organisation_id: int = OrganisationId,
    reference: str = Reference,
):
    """Add a reply to the timeline; our team is told. A closed request takes none (409)."""
    controller = organisation_for(
        request, organisation_id, area=REQUESTS, staff_write="dsar.add_dsartimelineentry"
    )
    ticket = _ticket_or_404(controller, reference)
    entry = dsar_reply_add(
        ticket=ticket,
        author=request.user,  # type: ignore[arg-type]
        body=payload.body,
        visible_to_customer=True,
    )
    return Status(201, _entry_out(entry))


@router.get(
    "/organisations/{organisation_id}/requests/{reference}/attachments",
    response={200: AttachmentPage, **READ_ERRORS},
    url_name="request_attachment_list",
    summary="The files of a request",
)
def request_attachment_list(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    reference: str = Reference,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    controller = organisation_for(request, organisation_id, area=REQUESTS)
    ticket = _ticket_or_404(controller, reference)
    return cursor_page(
        request,
        selectors.dsar_attachments_for_customer(ticket=ticket),
        keys=("created_at", "pk"),
        cursor=cursor,
        limit=limit,
        serialize=lambda attachment: _attachment_out(request, attachment, ticket),
    )


@router.post(
    "/organisations/{organisation_id}/requests/{reference}/attachments",
    response={201: AttachmentOut, **WRITE_ERRORS},
    url_name="request_attachment_add",
    summary="Add a file to a request",
)
def request_attachment_add(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    reference: str = Reference,
    file: UploadedFile = UploadField,
):
    """A file for our team (multipart/form-data, field `file`), checked on its leading bytes
    and kept in private storage. A closed request takes no more files (409)."""
    controller = organisation_for(
        request, organisation_id, area=REQUESTS, staff_write="dsar.add_dsarattachment"
    )
    ticket = _ticket_or_404(controller, reference)
    if not ticket.is_open:
        raise Problem(status=409, detail=f"{ticket.reference} is closed; it takes no more files.")
    try:
        attachment = dsar_attachment_add(
            ticket=ticket,
            uploaded_by=request.user,  # type: ignore[arg-type]
            upload=file,
            visible_to_customer=True,
        )
    except ValidationError as error:
        raise Problem(
            status=422,
            detail=" ".join(error.messages),
            errors=[{"detail": m, "pointer": "#/file"} for m in error.messages]
            if not hasattr(error, "error_dict")
            else django_errors(error),
        ) from None
    return Status(201, _attachment_out(request, attachment, ticket))


@router.get(
    "/organisations/{organisation_id}/requests/{reference}/attachments/{attachment_id}",
    response=READ_ERRORS,
    url_name="request_attachment_download",
    summary="Download a file of a request",
    openapi_extra=binary_response(
        sorted({content_type for content_type, _ in ALLOWED_TYPES.values()}),
        "The file, as a download, in the type it was checked as when it was added.",
    ),
)
def request_attachment_download(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    reference: str = Reference,
    attachment_id: int = Path(..., ge=1, le=MAX_ID),
) -> FileResponse:
    controller = organisation_for(request, organisation_id, area=REQUESTS)
    ticket = _ticket_or_404(controller, reference)
    attachment = get_object_or_404(
        selectors.dsar_attachments_for_customer(ticket=ticket).select_related("ticket"),
        pk=attachment_id,
    )
    # An internal file is as absent as another organisation's: a 403 would say it exists.
    if not dsar_attachment_can_download(user=request.user, attachment=attachment):  # type: ignore[arg-type]
        raise Problem(status=404, detail="No such file.")
    return attachment_response(attachment)
