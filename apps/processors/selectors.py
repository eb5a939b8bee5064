"""Reads of the record of processing: the activities of one controller's record (or of every
controller's), prefetched once for the portal's pages, the PDF and the exports.

An activity may cover several named controllers (one run for Acme, Birch and Cobalt). A customer
never learns the others: whatever shows an activity's controllers to a customer loads them through
`activity_controllers_visible_to(visible_controller=...)`, which keeps only that customer; staff
(None) see them all.
"""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from apps.controllers.models import EEA_COUNTRIES, PLACEHOLDER_MARKS, Controller
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
        activities.select_related("processor", "approved_by")
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


# --- completeness ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordGap:
    """One thing an Art. 30(2) record still lacks, or holds only as a placeholder."""

    code: str
    text: str


def _is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(mark in lowered for mark in PLACEHOLDER_MARKS)


def _address_repeats_country(party) -> bool:
    """The record prints the address and then the country: an address whose last line already
    names the country reads it twice."""
    if not party.address or not party.country:
        return False
    last = party.address.replace("\n", ",").split(",")[-1].strip().lower()
    return last in {party.country.name.lower(), party.country.code.lower()}


def _party_gaps(party, *, who: str, representative: str) -> list[RecordGap]:
    gaps = []
    if representative and _is_placeholder(representative):
        gaps.append(
            RecordGap(
                "representative_placeholder",
                f"{who}'s EU representative is “{representative}”, not a name.",
            )
        )
    elif not representative and party.country and party.country.code not in EEA_COUNTRIES:
        gaps.append(
            RecordGap(
                "representative_missing",
                f"{who} is established outside the EU and names no EU representative (Art. 27).",
            )
        )
    if not party.dpo_name and not party.dpo_email:
        gaps.append(RecordGap("dpo_missing", f"{who} names no data protection officer."))
    if _address_repeats_country(party):
        gaps.append(
            RecordGap(
                "address_repeats_country",
                f"{who}'s address ends with its country ({party.country.name}), which the record "
                "prints again after it.",
            )
        )
    return gaps


def record_gaps(*, controller: Controller) -> list[RecordGap]:
    """What `controller`'s record of processing still lacks or holds only as a placeholder:
    shown on the controller's admin page, on the dashboard and before a PDF is made.

    Three queries: the processor, the activities of the record with their review dates, and the
    subprocessors those activities name.
    """
    gaps = _party_gaps(
        controller, who=controller.legal_name, representative=controller.eu_representative
    )
    processor = Processor.objects.order_by("pk").first()
    if processor is None:
        gaps.append(
            RecordGap("processor_missing", "No processor profile: the record has no author.")
        )
    else:
        gaps += _party_gaps(processor, who=processor.name, representative=processor.representative)
    activities = list(processing_activities_covering(controller=controller))
    if not activities:
        gaps.append(RecordGap("no_activities", "The record holds no approved processing activity."))
    for activity in activities:
        if activity.next_review_on is None:
            gaps.append(RecordGap("review_missing", f"“{activity.name}” has no next review date."))
    named = (
        processing_activities_covering(controller=controller)
        .filter(subprocessors__isnull=False)
        .values_list("subprocessors__name", "subprocessors__legal_entity")
        .distinct()
    )
    for name, legal_entity in named:
        if _is_placeholder(name) or _is_placeholder(legal_entity):
            gaps.append(
                RecordGap(
                    "subprocessor_placeholder",
                    f"Subprocessor “{name}” is named only as “{legal_entity}”.",
                )
            )
    return gaps


def shared_record_gaps() -> list[RecordGap]:
    """Gaps every controller's record shares: the processor's own, and placeholder subprocessors
    in the activities that cover every controller. Two queries."""
    processor = Processor.objects.order_by("pk").first()
    if processor is None:
        return [RecordGap("processor_missing", "No processor profile: the record has no author.")]
    gaps = _party_gaps(processor, who=processor.name, representative=processor.representative)
    named = (
        ProcessingActivity.objects.in_record()
        .filter(covers_all_controllers=True, subprocessors__isnull=False)
        .values_list("subprocessors__name", "subprocessors__legal_entity")
        .distinct()
    )
    for name, legal_entity in named:
        if _is_placeholder(name) or _is_placeholder(legal_entity):
            gaps.append(
                RecordGap(
                    "subprocessor_placeholder",
                    f"Subprocessor “{name}” is named only as “{legal_entity}”.",
                )
            )
    return gaps
