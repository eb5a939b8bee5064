"""Reads of the record of processing: the activities of one controller's record (or of every
controller's), prefetched once for the portal's pages, the PDF and the exports."""

from django.db.models import QuerySet

from apps.controllers.models import Controller
from apps.processors.models import ProcessingActivity, Processor


def processing_activities_covering(*, controller: Controller) -> QuerySet[ProcessingActivity]:
    """The record of processing for `controller`: the approved activities that cover it."""
    return ProcessingActivity.objects.covering(controller).in_record().order_by("name")


def processing_activity_list(*, controller: Controller) -> QuerySet[ProcessingActivity]:
    """The record as the portal lists it: each activity with its data categories."""
    return processing_activities_covering(controller=controller).prefetch_related("data_categories")


def processing_activities_in_record(
    *, controller: Controller | None = None
) -> QuerySet[ProcessingActivity]:
    """The approved activities of the record, for one controller or for all, fully prefetched."""
    activities = ProcessingActivity.objects.in_record()
    if controller is not None:
        activities = activities.covering(controller)
    else:
        # Only the record of every controller lists each activity's controllers.
        activities = activities.prefetch_related("controllers")
    return (
        activities.select_related("processor")
        .prefetch_related(
            "data_categories",
            "data_subject_categories",
            "security_measures",
            # Named through the relations: each transfer comes in its model's order (by
            # destination within a subprocessor).
            "subprocessors__transfers",
        )
        .order_by("name")
    )


def record_of_processing(*, controller: Controller | None = None) -> dict:
    """Everything the Art. 30(2) record shows, for one controller or for every active one."""
    activities = list(processing_activities_in_record(controller=controller))
    # The activities come with their processor; only an empty record reads the profile.
    named = {a.processor_id: a.processor for a in activities}
    processors = (
        sorted(named.values(), key=lambda p: (p.name, p.pk))
        if named
        else list(Processor.objects.order_by("pk")[:1])
    )
    subprocessors = {s.pk: s for a in activities for s in a.subprocessors.all()}
    transfers = sorted(
        (t for s in subprocessors.values() for t in s.transfers.all()),
        key=lambda t: (t.subprocessor.name, t.destination_country.name),
    )
    measures = {m.pk: m for a in activities for m in a.security_measures.all()}
    return {
        "controller": controller,
        "controllers": (
            [controller] if controller is not None else list(Controller.objects.active())
        ),
        "processors": processors,
        "activities": activities,
        "subprocessors": sorted(subprocessors.values(), key=lambda s: s.name),
        "transfers": transfers,
        "security_measures": sorted(
            measures.values(), key=lambda m: (m.get_category_display(), m.name)
        ),
    }
