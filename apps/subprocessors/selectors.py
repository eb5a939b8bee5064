"""Reads of the subprocessor register: the list the portal and the public pages show, and
announced changes by where they stand."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from apps.controllers.models import Controller
from apps.jobs.models import Job
from apps.jobs.selectors import job_for
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange, Transfer

# The kind of the job that e-mails every active controller about a change (services.py).
NOTICE_JOB = "subprocessors.change_notice"


def subprocessor_active_list() -> QuerySet[Subprocessor]:
    """The subprocessors engaged now, with their transfers, as the public list and the portal
    show them."""
    return Subprocessor.objects.active().prefetch_related(
        Prefetch("transfers", queryset=Transfer.objects.order_by("destination_country"))
    )


def subprocessor_changes_upcoming(*, now: datetime | None = None) -> QuerySet[SubprocessorChange]:
    """Announced changes not yet in effect, soonest first: the public feed and the portal list."""
    now = now or timezone.now()
    return (
        SubprocessorChange.objects.filter(
            status=SubprocessorChange.Status.ANNOUNCED, effective_at__gt=now
        )
        .select_related("subprocessor", "replaces")
        .order_by("effective_at", "pk")
    )


def subprocessor_changes_due(*, now: datetime | None = None) -> QuerySet[SubprocessorChange]:
    """Announced changes whose effective date has come: the register must now follow them."""
    now = now or timezone.now()
    return (
        SubprocessorChange.objects.filter(
            status=SubprocessorChange.Status.ANNOUNCED, effective_at__lte=now
        )
        .select_related("subprocessor", "replaces")
        .order_by("effective_at", "pk")
    )


def subprocessor_changes_published() -> QuerySet[SubprocessorChange]:
    """Every change announced to customers, newest first, for the public feed."""
    return SubprocessorChange.objects.select_related("subprocessor", "replaces").order_by(
        "-announced_at", "-pk"
    )


def subprocessor_change_notice_job(*, change: SubprocessorChange, notice: str) -> Job | None:
    """The job that e-mails customers that `change` was announced (or cancelled)."""
    return job_for(kind=NOTICE_JOB, change_id=change.pk, notice=notice)


def objections_of(*, controller: Controller) -> QuerySet[Objection]:
    """A controller's own objections, newest first, with the change each answers: the portal's
    one way to them."""
    return (
        Objection.objects.filter(controller=controller)
        .select_related("controller", "change__subprocessor", "change__replaces")
        .order_by("-created_at", "-pk")
    )


def subprocessor_exclusions(*, objections: Iterable[Objection]) -> dict[int, Objection]:
    """Subprocessor id → the upheld objection, among `objections` (one controller's), by which
    that subprocessor is not used for the controller."""
    return {o.change.subprocessor_id: o for o in objections if o.excludes_subprocessor}
