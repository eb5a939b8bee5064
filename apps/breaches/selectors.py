"""Reads of breach incidents for the customer portal, scoped to one controller."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from apps.breaches.models import BreachIncident, BreachNotification, BreachUpdateDelivery
from apps.controllers.models import Controller

# The list filters of the portal: closed is final; anything else is still being worked.
INCIDENT_FILTERS = ("all", "open", "closed")


def breach_incidents_for_controller(
    *, controller: Controller, which: str = "all"
) -> QuerySet[BreachIncident]:
    """Incidents `controller` was notified of, newest first, each with this controller's notice
    time and acknowledgement (one query for a page)."""
    notices = BreachNotification.objects.filter(controller=controller, incident=OuterRef("pk"))
    incidents = (
        BreachIncident.objects.for_controller(controller)
        .annotate(
            notified_at=Subquery(notices.values("sent_at")[:1]),
            acknowledged_at=Subquery(notices.values("acknowledged_at")[:1]),
        )
        .order_by("-became_aware_at", "-pk")
    )
    if which == "open":
        return incidents.exclude(status=BreachIncident.Status.CLOSED)
    if which == "closed":
        return incidents.filter(status=BreachIncident.Status.CLOSED)
    return incidents


def breach_incident_detail_for(*, controller: Controller) -> QuerySet[BreachIncident]:
    return BreachIncident.objects.for_controller(controller).prefetch_related(
        "data_categories", "data_subject_categories"
    )


def breach_notice_of(*, incident: BreachIncident, controller: Controller) -> BreachNotification:
    """This controller's notice of the incident, with who acknowledged it."""
    return BreachNotification.objects.select_related("acknowledged_by").get(
        incident=incident, controller=controller
    )


def breach_updates_sent_to(*, incident: BreachIncident, controller: Controller) -> QuerySet:
    """The updates (Art. 33(4)) actually sent to this controller, in phase order."""
    return (
        BreachUpdateDelivery.objects.filter(update__incident=incident, controller=controller)
        .select_related("update")
        .order_by("update__phase")
    )


def breach_dashboard_counts(*, controller: Controller) -> dict[str, int]:
    """Incidents notified to the controller and not closed, and notices it has not acknowledged,
    in one query."""
    counts = BreachNotification.objects.filter(
        controller=controller, sent_at__isnull=False
    ).aggregate(
        open_incidents=Count("pk", filter=~Q(incident__status=BreachIncident.Status.CLOSED)),
        unacknowledged_notices=Count("pk", filter=Q(acknowledged_at__isnull=True)),
    )
    return {
        "open_breach_incidents": counts["open_incidents"],
        "unacknowledged_breach_notices": counts["unacknowledged_notices"],
    }
