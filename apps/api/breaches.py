"""Breach notices: the incidents we notified the organisation of, acknowledgement, the report.

An incident is fetched through the incidents the organisation was notified of
(apps.breaches.selectors), so one it was not told of is a 404 under any token.
"""

from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router

from apps.api.auth import caller
from apps.api.common import (
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
from apps.api.schemas import BreachDetailOut, BreachPage
from apps.api.scoping import BREACHES, organisation_for, organisation_token_only
from apps.breaches import selectors
from apps.breaches.models import BreachIncident
from apps.breaches.services import breach_acknowledge, breach_report_pdf
from apps.controllers.models import Controller

router = Router(tags=["Breach notices"])


def _incident_or_404(controller: Controller, reference: str) -> BreachIncident:
    return get_object_or_404(
        selectors.breach_incident_detail_for(controller=controller), reference=reference
    )


def _summary(request: HttpRequest, incident: BreachIncident, controller: Controller) -> dict:
    return {
        "reference": incident.reference,
        "title": incident.title,
        "status": incident.status,
        "risk_level": incident.risk_level,
        "became_aware_at": incident.became_aware_at,
        "notified_at": getattr(incident, "notified_at", None),
        "acknowledged_at": getattr(incident, "acknowledged_at", None),
        "url": link(
            request,
            "breach_detail",
            organisation_id=controller.pk,
            reference=incident.reference,
        ),
    }


def _detail(request: HttpRequest, incident: BreachIncident, controller: Controller) -> dict:
    notice = selectors.breach_notice_of(incident=incident, controller=controller)
    incident.notified_at = notice.sent_at  # type: ignore[attr-defined]
    incident.acknowledged_at = notice.acknowledged_at  # type: ignore[attr-defined]
    by = notice.acknowledged_by
    return {
        **_summary(request, incident, controller),
        "description": incident.description,
        "occurred_from": incident.occurred_from,
        "occurred_to": incident.occurred_to,
        "nature": incident.nature_labels,
        "data_categories": [c.name for c in incident.data_categories.all()],
        "data_subject_categories": [c.name for c in incident.data_subject_categories.all()],
        "approx_data_subjects": incident.approx_data_subjects,
        "approx_records": incident.approx_records,
        "likely_consequences": incident.likely_consequences,
        "measures_taken": incident.measures_taken,
        "measures_proposed": incident.measures_proposed,
        "contact_point": incident.contact_point,
        "your_deadline_at": notice.controller_deadline_at,
        "acknowledged_by": by.email if by is not None else None,
        "updates": [
            {"phase": d.update.phase, "text": d.update.text, "sent_at": d.sent_at}
            for d in selectors.breach_updates_sent_to(incident=incident, controller=controller)
        ],
        "report_url": link(
            request,
            "breach_report_pdf",
            organisation_id=controller.pk,
            reference=incident.reference,
        ),
    }


@router.get(
    "/organisations/{organisation_id}/breaches",
    response={200: BreachPage, **READ_ERRORS},
    url_name="breach_list",
    summary="List the breaches we notified the organisation of",
)
def breach_list(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    status: Literal["open", "closed"] | None = None,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """Newest first; `open` is every incident not yet closed. Queries: the page (one)."""
    controller = organisation_for(request, organisation_id, area=BREACHES)
    incidents = selectors.breach_incidents_for_controller(
        controller=controller, which=status or "all"
    )
    return cursor_page(
        request,
        incidents,
        keys=("-became_aware_at", "-pk"),
        cursor=cursor,
        limit=limit,
        serialize=lambda incident: _summary(request, incident, controller),
    )


@router.get(
    "/organisations/{organisation_id}/breaches/{reference}",
    response={200: BreachDetailOut, **READ_ERRORS},
    url_name="breach_detail",
    summary="Read a breach notice",
)
def breach_detail(
    request: HttpRequest, organisation_id: int = OrganisationId, reference: str = Reference
):
    """Every Art. 33(3) item, your own 72-hour window, the updates sent to you, and who
    acknowledged our notice."""
    controller = organisation_for(request, organisation_id, area=BREACHES)
    return _detail(request, _incident_or_404(controller, reference), controller)


@router.post(
    "/organisations/{organisation_id}/breaches/{reference}/acknowledge",
    response={200: BreachDetailOut, **WRITE_ERRORS},
    url_name="breach_acknowledge",
    summary="Acknowledge our breach notice",
)
def breach_acknowledge_notice(
    request: HttpRequest, organisation_id: int = OrganisationId, reference: str = Reference
):
    """Confirm that the organisation received our notice; once only (a second time is 409)."""
    organisation_token_only(caller(request), "Acknowledging a notice")
    controller = organisation_for(request, organisation_id, area=BREACHES, writes=True)
    incident = _incident_or_404(controller, reference)
    notice = selectors.breach_notice_of(incident=incident, controller=controller)
    breach_acknowledge(notification=notice, by=request.user)  # type: ignore[arg-type]
    return _detail(request, incident, controller)


@router.get(
    "/organisations/{organisation_id}/breaches/{reference}/report.pdf",
    response=READ_ERRORS,
    url_name="breach_report_pdf",
    summary="The breach report, for filing with a supervisory authority",
    openapi_extra=binary_response("application/pdf", "The report as a PDF."),
)
def breach_report(
    request: HttpRequest, organisation_id: int = OrganisationId, reference: str = Reference
) -> HttpResponse:
    controller = organisation_for(request, organisation_id, area=BREACHES)
    incident = _incident_or_404(controller, reference)
    response = HttpResponse(
        breach_report_pdf(incident=incident, controller=controller),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
