"""Scoped reads for deletion and return: one controller's record tables, exports and requests."""

from django.db.models import QuerySet

from apps.controllers.models import Controller
from apps.core.resources import RegisterResource
from apps.offboarding.models import DataExport, DeletionRequest
from apps.processors.models import SecurityMeasure
from apps.processors.resources import ProcessingActivityResource, SecurityMeasureResource
from apps.processors.selectors import processing_activities_covering
from apps.subprocessors.models import Subprocessor, Transfer
from apps.subprocessors.resources import SubprocessorResource, TransferResource


def record_tables(*, controller: Controller) -> dict[str, tuple[RegisterResource, QuerySet]]:
    """The tables of one controller's record of processing: name → (export columns, rows).

    Everything is derived from the approved activities covering the controller, as the PDF is.
    The tables are the controller's own to read (portal downloads, its data export): an
    activity's `controllers` column names only `controller`, never the other customers the
    activity also covers.
    """
    activity_ids = processing_activities_covering(controller=controller).values("pk")
    subprocessors = (
        Subprocessor.objects.filter(activities__in=activity_ids).distinct().order_by("name")
    )
    return {
        "activities": (
            ProcessingActivityResource(visible_controller=controller),
            processing_activities_covering(controller=controller),
        ),
        "subprocessors": (SubprocessorResource(), subprocessors),
        "transfers": (
            TransferResource(),
            Transfer.objects.filter(subprocessor__in=subprocessors.values("pk")).order_by(
                "subprocessor__name", "destination_country", "pk"
            ),
        ),
        "security_measures": (
            SecurityMeasureResource(),
            SecurityMeasure.objects.filter(activities__in=activity_ids).distinct().order_by("name"),
        ),
    }


def data_export_list(*, controller: Controller) -> QuerySet[DataExport]:
    return DataExport.objects.for_controller(controller).select_related("requested_by")


def deletion_request_list(*, controller: Controller) -> QuerySet[DeletionRequest]:
    return DeletionRequest.objects.for_controller(controller).select_related(
        "requested_by", "cancelled_by", "confirmed_by"
    )


def deletion_request_pending(*, controller: Controller) -> DeletionRequest | None:
    return (
        deletion_request_list(controller=controller)
        .filter(status__in=DeletionRequest.PENDING)
        .first()
    )
