"""The customer portal's pages for breach incidents: the incidents the controller was notified
of, their Art. 33(3) content, the updates sent to it, acknowledgement and the report PDF.

Every incident is fetched through `BreachIncident.objects.for_controller(request.controller)`,
so an incident the controller was not told of is a 404 (a 403 would say it exists).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.breaches import selectors
from apps.breaches.models import BreachIncident
from apps.breaches.services import breach_acknowledge, breach_report_pdf
from apps.portal.paging import paginate, status_filter
from apps.portal.tenancy import portal_view


def _incident_or_404(request, incident_id: int) -> BreachIncident:
    return get_object_or_404(
        selectors.breach_incident_detail_for(controller=request.controller), pk=incident_id
    )


@portal_view
def incident_list(request):
    which = status_filter(request, selectors.INCIDENT_FILTERS)
    incidents = selectors.breach_incidents_for_controller(
        controller=request.controller, which=which
    )
    page = paginate(request, incidents)
    return render(
        request,
        "portal/breaches/incident_list.html",
        {
            "page": page,
            "which": which,
            "filters": [("all", "All"), ("open", "Not closed"), ("closed", "Closed")],
        },
    )


@portal_view
def incident_detail(request, incident_id: int):
    incident = _incident_or_404(request, incident_id)
    return render(
        request,
        "portal/breaches/incident_detail.html",
        {
            "incident": incident,
            "notice": selectors.breach_notice_of(incident=incident, controller=request.controller),
            "deliveries": selectors.breach_updates_sent_to(
                incident=incident, controller=request.controller
            ),
            "can_acknowledge": request.membership.can_write,
        },
    )


@portal_view
@require_POST
def incident_acknowledge(request, incident_id: int):
    incident = _incident_or_404(request, incident_id)
    notice = selectors.breach_notice_of(incident=incident, controller=request.controller)
    try:
        breach_acknowledge(notification=notice, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"You acknowledged our notice of {incident.reference}.")
    return redirect("portal:breach_incident_detail", incident_id=incident.pk)


@portal_view
def incident_report_pdf(request, incident_id: int):
    incident = _incident_or_404(request, incident_id)
    pdf = breach_report_pdf(incident=incident, controller=request.controller)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
