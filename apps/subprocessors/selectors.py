from django.db.models import QuerySet
from django.utils import timezone

from apps.subprocessors.models import SubprocessorChange


def upcoming_subprocessor_changes(*, now=None) -> QuerySet[SubprocessorChange]:
    """Announced changes not yet in effect, soonest first: the public feed and the portal list."""
    now = now or timezone.now()
    return (
        SubprocessorChange.objects.filter(
            status=SubprocessorChange.Status.ANNOUNCED, effective_at__gt=now
        )
        .select_related("subprocessor", "replaces")
        .order_by("effective_at", "pk")
    )


def due_subprocessor_changes(*, now=None) -> QuerySet[SubprocessorChange]:
    """Announced changes whose effective date has come: the register must now follow them."""
    now = now or timezone.now()
    return (
        SubprocessorChange.objects.filter(
            status=SubprocessorChange.Status.ANNOUNCED, effective_at__lte=now
        )
        .select_related("subprocessor", "replaces")
        .order_by("effective_at", "pk")
    )
