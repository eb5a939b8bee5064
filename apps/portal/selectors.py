"""Reads of the portal and the public pages, each scoped and prefetched in one place."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from apps.breaches.selectors import breach_dashboard_counts
from apps.controllers.models import Controller, Membership
from apps.dsar.selectors import dsar_open_ticket_count
from apps.processors.models import ProcessingActivity
from apps.subprocessors.models import Subprocessor, SubprocessorChange, Transfer


def activities_for(controller: Controller) -> QuerySet[ProcessingActivity]:
    """The record of processing for `controller`: approved activities that cover it."""
    return ProcessingActivity.objects.covering(controller).in_record().order_by("name")


def activity_list_for(controller: Controller) -> QuerySet[ProcessingActivity]:
    return activities_for(controller).prefetch_related("data_categories")


def activity_detail_for(controller: Controller) -> QuerySet[ProcessingActivity]:
    return activities_for(controller).prefetch_related(
        "data_categories",
        "data_subject_categories",
        "security_measures",
        Prefetch(
            "subprocessors",
            queryset=Subprocessor.objects.prefetch_related(
                Prefetch("transfers", queryset=Transfer.objects.order_by("destination_country"))
            ),
        ),
    )


def active_subprocessors() -> QuerySet[Subprocessor]:
    """The subprocessors engaged now, as the public list and the portal show them."""
    return Subprocessor.objects.active().prefetch_related(
        Prefetch("transfers", queryset=Transfer.objects.order_by("destination_country"))
    )


def upcoming_subprocessor_changes(at=None) -> QuerySet[SubprocessorChange]:
    """Announced changes that have not taken effect yet: the ones customers can object to."""
    at = at or timezone.now()
    return (
        SubprocessorChange.objects.filter(
            status=SubprocessorChange.Status.ANNOUNCED, effective_at__gt=at
        )
        .select_related("subprocessor", "replaces")
        .order_by("effective_at", "pk")
    )


def published_subprocessor_changes() -> QuerySet[SubprocessorChange]:
    """Every change announced to customers, newest first, for the public feed."""
    return SubprocessorChange.objects.select_related("subprocessor", "replaces").order_by(
        "-announced_at", "-pk"
    )


def members_of(controller: Controller) -> QuerySet[Membership]:
    """Every membership of `controller`, expired ones included so that admins see them."""
    return (
        Membership.objects.filter(controller=controller)
        .select_related("user")
        .order_by("user__email")
    )


def dashboard_counts(controller: Controller) -> dict[str, int]:
    """Counts the dashboard shows. Features that add open requests or incidents add their keys
    here (and a tile in the "dashboard_tiles" block of portal/dashboard.html)."""
    return {
        "activities": activities_for(controller).count(),
        "pending_subprocessor_changes": upcoming_subprocessor_changes().count(),
        "open_dsar_tickets": dsar_open_ticket_count(controller=controller),
        **breach_dashboard_counts(controller=controller),
    }
