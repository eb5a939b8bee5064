"""Reads of the record of processing: the activities of one controller's record (or of every
controller's), prefetched once for the portal's pages, the PDF and the exports.

An activity may cover several named controllers (one run for Acme, Birch and Cobalt). A customer
never learns the others: whatever shows an activity's controllers to a customer loads them through
`activity_controllers_visible_to(visible_controller=...)`, which keeps only that customer; staff
(None) see them all.
"""

from django.db.models import Prefetch, QuerySet

from apps.controllers.models import Controller
from apps.processors.models import ProcessingActivity, Processor


def activity_controllers_visible_to(*, visible_controller: Controller | None) -> Prefetch:
    """The prefetch of each activity's `controllers` as a reader may see them: a customer
    (`visible_controller`) finds only itself there, never the other customers the activity also
    covers; staff (None) find every controller named."""
    controllers = Controller.objects.all()
    if visible_controller is not None:
        controllers = controllers.filter(pk=visible_controller.pk)
    return Prefetch("controllers", queryset=controllers)


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
        # One controller's record (its pages and documents) shows no activity's controllers.
        activities = activities.covering(controller)
    else:
        # Only the record of every controller, which is staff's, lists them.
        activities = activities.prefetch_related(
            activity_controllers_visible_to(visible_controller=None)
        )
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
    """Everything the Art. 30(2) record shows, for one controller or for every active one.

    One controller's record is the document that controller reads (in the portal, its data
    export, or sent by staff): it names that controller only. Its activities come without their
    controllers, and the template lists them only in the record of every controller.
    """
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
