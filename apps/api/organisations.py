"""The organisations a token reaches, each one's record of processing (as JSON and as the PDF),
and the change history of its records."""

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from apps.api.auth import caller
from apps.api.common import READ_ERRORS, Cursor, Limit, OrganisationId, binary_response
from apps.api.pagination import cursor_decode, cursor_page, keyed_page
from apps.api.problems import Problem
from apps.api.schemas import HistoryPage, OrganisationOut, OrganisationPage, RecordOut
from apps.api.scoping import HISTORY, ORGANISATION, RECORD, organisation_for
from apps.audit import selectors as audit_selectors
from apps.audit.models import AuditArea
from apps.controllers.models import Controller
from apps.processors.documents import register_pdf, register_pdf_filename
from apps.processors.selectors import record_of_processing
from apps.trail import selectors as trail_selectors

router = Router(tags=["Organisations, the record and its history"])

HISTORY_PAGE_SIZE = 50
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _organisation_out(controller: Controller) -> dict:
    return {
        "id": controller.pk,
        "legal_name": controller.legal_name,
        "country": controller.country.code,
        "status": controller.status,
        "time_zone": controller.time_zone_name,
        "dpa_version": controller.dpa_version,
        "dpa_accepted_on": controller.dpa_accepted_on,
    }


@router.get(
    "/organisations",
    response={200: OrganisationPage, **READ_ERRORS},
    url_name="organisation_list",
    summary="The organisations this token reaches",
)
def organisation_list(request: HttpRequest, cursor: str | None = Cursor, limit: int = Limit):
    """An organisation token: its own. A staff member's token: every customer, if the role reads
    customers."""
    token = caller(request)
    if token.controller_id is not None:
        organisations = Controller.objects.filter(pk=token.controller_id)
    elif token.user.has_perm(ORGANISATION.staff_read):
        organisations = Controller.objects.all()
    else:
        raise Problem(status=403, detail="Your role does not allow this.")
    return cursor_page(
        request,
        organisations,
        keys=("legal_name", "pk"),
        cursor=cursor,
        limit=limit,
        serialize=_organisation_out,
    )


@router.get(
    "/organisations/{organisation_id}",
    response={200: OrganisationOut, **READ_ERRORS},
    url_name="organisation_detail",
    summary="One organisation",
)
def organisation_detail(request: HttpRequest, organisation_id: int = OrganisationId):
    return _organisation_out(organisation_for(request, organisation_id, area=ORGANISATION))


def _party(party, representative: str) -> dict:
    return {
        "name": getattr(party, "legal_name", None) or getattr(party, "name", ""),
        "address": party.address,
        "country": party.country.code,
        "contact_name": party.contact_name,
        "contact_email": party.contact_email,
        "dpo_name": party.dpo_name,
        "dpo_email": party.dpo_email,
        "representative": representative,
    }


@router.get(
    "/organisations/{organisation_id}/record",
    response={200: RecordOut, **READ_ERRORS},
    url_name="record",
    summary="The record of processing (Art. 30(2)) for the organisation",
)
def record(request: HttpRequest, organisation_id: int = OrganisationId):
    """The approved activities that cover the organisation, with their categories,
    subprocessors, transfers and security measures: what the PDF lays out."""
    controller = organisation_for(request, organisation_id, area=RECORD)
    data = record_of_processing(controller=controller)
    return {
        "organisation": _party(controller, controller.eu_representative),
        "processors": [_party(p, p.representative) for p in data["processors"]],
        "activities": [
            {
                "id": a.pk,
                "name": a.name,
                "description": a.description,
                "purpose": a.purpose,
                "category": a.category,
                "data_categories": [c.name for c in a.data_categories.all()],
                "data_subject_categories": [c.name for c in a.data_subject_categories.all()],
                "subprocessors": [s.name for s in a.subprocessors.all()],
                "security_measures": [m.name for m in a.security_measures.all()],
                "retention": a.retention,
                "instruction": a.instruction,
            }
            for a in data["activities"]
        ],
        "subprocessors": [s.name for s in data["subprocessors"]],
        "transfers": [
            {
                "subprocessor": t.subprocessor.name,
                "destination_country": t.destination_country.code,
                "mechanism": t.mechanism,
                "scc_module": t.scc_module,
                "document_reference": t.document_reference,
                "tia_completed_on": t.tia_completed_on,
            }
            for t in data["transfers"]
        ],
        "security_measures": [
            {
                "name": m.name,
                "category": m.category,
                "description": m.description,
                "scope": m.scope,
            }
            for m in data["security_measures"]
        ],
        "generated_at": timezone.now(),
    }


@router.get(
    "/organisations/{organisation_id}/record.pdf",
    response=READ_ERRORS,
    url_name="record_pdf",
    summary="The record of processing as the PDF",
    openapi_extra=binary_response("application/pdf", "The record as a PDF."),
)
def record_pdf(request: HttpRequest, organisation_id: int = OrganisationId) -> HttpResponse:
    controller = organisation_for(request, organisation_id, area=RECORD)
    response = HttpResponse(register_pdf(controller=controller), content_type="application/pdf")
    filename = register_pdf_filename(controller=controller)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/organisations/{organisation_id}/history",
    response={200: HistoryPage, **READ_ERRORS},
    url_name="history",
    summary="The change history of the organisation's records",
)
def history(
    request: HttpRequest, organisation_id: int = OrganisationId, cursor: str | None = Cursor
):
    """Who changed what and when, newest first, field by field, as the portal's change history
    shows it: for tokens that include the change history, and staff whose role reads the trail.
    No entry names another customer."""
    controller = organisation_for(request, organisation_id, area=HISTORY)
    before = None
    if cursor:
        position = cursor_decode(cursor)
        if len(position) != 1 or not isinstance(position[0], str):
            raise Problem(status=422, detail="The cursor is not one of this list.")
        before = position[0]
    entries_qs = audit_selectors.audit_trail_entries(controller=controller, areas=AuditArea.values)
    entries, next_position = trail_selectors.trail_page(
        entries=entries_qs, before=before, size=HISTORY_PAGE_SIZE
    )
    changes = trail_selectors.trail_changes(entries=entries, visible_controller=controller)
    items = [
        {
            "seq": entry.seq,
            "at": entry.history_date,
            "record": entry.object_repr,
            "model": entry.object_model,
            "object_id": entry.object_id,
            "action": ACTIONS.get(entry.history_type, "changed"),
            "reason": entry.change_reason,
            "by": entry.user_repr,
            "door": entry.door,
            "changes": [
                {"field": c.field, "old": c.old, "new": c.new} for c in changes.get(entry.pk, [])
            ],
        }
        for entry in entries
    ]
    return keyed_page(request, items=items, next_position=next_position)
