"""Reads that only the portal makes: the overview's counts across areas."""

from apps.breaches.selectors import breach_dashboard_counts
from apps.controllers.models import Controller
from apps.dsar.selectors import dsar_open_ticket_count
from apps.processors.selectors import processing_activities_covering
from apps.subprocessors.selectors import subprocessor_changes_upcoming


def portal_dashboard_counts(*, controller: Controller) -> dict[str, int]:
    """Counts the dashboard shows. Features that add open requests or incidents add their keys
    here (and a tile in the "dashboard_tiles" block of portal/dashboard.html)."""
    return {
        "activities": processing_activities_covering(controller=controller).count(),
        "pending_subprocessor_changes": subprocessor_changes_upcoming().count(),
        "open_dsar_tickets": dsar_open_ticket_count(controller=controller),
        **breach_dashboard_counts(controller=controller),
    }
