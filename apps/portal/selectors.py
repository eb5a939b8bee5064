"""Reads that only the portal makes: the overview's counts across areas."""

from apps.audit.models import AuditGrant
from apps.breaches.selectors import breach_dashboard_counts
from apps.controllers.models import Controller
from apps.dsar.selectors import dsar_open_ticket_count
from apps.portal.areas import page_open_to
from apps.processors.selectors import processing_activities_covering
from apps.subprocessors.selectors import subprocessor_changes_upcoming


def portal_dashboard_counts(
    *, controller: Controller, grant: AuditGrant | None = None
) -> dict[str, int]:
    """Counts the dashboard shows, each only when the page its tile links to is open to the
    reader: an auditor under `grant` gets (and pays for) the counts of the granted areas only.

    Features that add open requests or incidents add their keys here, under the page their
    tile links to (and a tile in the "dashboard_tiles" block of portal/dashboard.html, shown
    under `request|page_open` with the same page)."""
    counts: dict[str, int] = {}
    if page_open_to(grant, "activity_list"):
        counts["activities"] = processing_activities_covering(controller=controller).count()
    if page_open_to(grant, "subprocessor_list"):
        counts["pending_subprocessor_changes"] = subprocessor_changes_upcoming().count()
    if page_open_to(grant, "dsar_ticket_list"):
        counts["open_dsar_tickets"] = dsar_open_ticket_count(controller=controller)
    if page_open_to(grant, "breach_incident_list"):
        counts.update(breach_dashboard_counts(controller=controller))
    return counts
