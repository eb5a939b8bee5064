"""Scoped reads for deletion and return: one controller's record tables, exports and requests."""

from django.db.models import Model, QuerySet

from apps.controllers.models import Controller
from apps.offboarding.models import DataExport, DeletionRequest
from apps.processors.models import ProcessingActivity, SecurityMeasure
from apps.subprocessors.models import Subprocessor, Transfer


def record_activities_for(controller: Controller) -> QuerySet[ProcessingActivity]:
    return ProcessingActivity.objects.covering(controller).in_record().order_by("name")


def record_tables_for(controller: Controller) -> dict[str, tuple[type[Model], QuerySet]]:
    """The tables of one controller's record of processing: name → (model, queryset).

    Everything is derived from the approved activities covering the controller, as the PDF is.
    """
    activity_ids = record_activities_for(controller).values("pk")
    subprocessors = (
        Subprocessor.objects.filter(activities__in=activity_ids).distinct().order_by("name")
    )
    return {
        "activities": (ProcessingActivity, record_activities_for(controller)),
        "subprocessors": (Subprocessor, subprocessors),
        "transfers": (
            Transfer,
            Transfer.objects.filter(subprocessor__in=subprocessors.values("pk")).order_by(
                "subprocessor__name", "destination_country", "pk"
            ),
        ),
        "security_measures": (
            SecurityMeasure,
            SecurityMeasure.objects.filter(activities__in=activity_ids).distinct().order_by("name"),
        ),
    }


def exports_of(controller: Controller) -> QuerySet[DataExport]:
    return DataExport.objects.for_controller(controller).select_related("requested_by")


def deletion_requests_of(controller: Controller) -> QuerySet[DeletionRequest]:
    return DeletionRequest.objects.for_controller(controller).select_related(
        "requested_by", "cancelled_by", "confirmed_by"
    )


def pending_deletion_of(controller: Controller) -> DeletionRequest | None:
    return deletion_requests_of(controller).filter(status__in=DeletionRequest.PENDING).first()
