"""The customer portal's pages for breach incidents: the incidents the controller was notified
of, their Art. 33(3) content, the updates sent to it, acknowledgement and the report PDF.

Every incident is fetched through `BreachIncident.objects.for_controller(request.controller)`,
so an incident the controller was not told of is a 404 (a 403 would say it exists).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.breaches import selectors
from apps.breaches.models import BreachIncident
from apps.breaches.services import breach_acknowledge, breach_report_pdf_start
from apps.portal.paging import paginate, status_filter
from apps.portal.tenancy import ALL_ROLES, portal_view


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
    notice = selectors.breach_notice_of(incident=incident, controller=request.controller)
    return render(
        request,
        "portal/breaches/incident_detail.html",
        {
            "incident": incident,
            "notice": notice,
            # In hours, as the admin shows it; the instant in the reader's zone.
            "window_clock": notice.window_clock(),
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


# Every role reads the report, auditors included: starting its job writes nothing of the
# organisation's.
@portal_view(write_roles=ALL_ROLES)
def incident_report_pdf(request, incident_id: int):
    """The report as a PDF: made by a worker (a job); this page starts it and opens its page."""
    incident = _incident_or_404(request, incident_id)
    if request.method == "POST":
        job = breach_report_pdf_start(
            incident=incident, controller=request.controller, by=request.user
        )
        return redirect("portal:job_detail", job_id=job.pk)
    return render(
        request,
        "portal/jobs/start.html",
        {
            "title": f"Report of {incident.reference} (PDF)",
            "text": (
                f"The report of {incident.reference}, laid out for filing with your supervisory "
                "authority: every Art. 33(3) item, our notice and the updates we sent you."
            ),
            "back_url": reverse(
                "portal:breach_incident_detail", kwargs={"incident_id": incident.pk}
            ),
            "back_label": incident.reference,
        },
    )
