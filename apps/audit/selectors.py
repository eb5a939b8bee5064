"""Reads of customer audits: the register as it stood on a date, the trail of one controller's
records by audit area, the grants and the access log of a controller."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from apps.audit.models import AuditAccessLog, AuditArea, AuditGrant
from apps.breaches.models import BreachNotification
from apps.controllers.models import Controller
from apps.core.history import m2m_rows_for
from apps.processors.models import ProcessingActivity, SecurityMeasure
from apps.subprocessors.models import Subprocessor, Transfer
from apps.trail.models import TrailEntry
from apps.trail.selectors import trail_entries


@dataclass
class RegisterSnapshot:
    when: datetime.datetime
    controller: object
    activities: list
    subprocessors: list
    security_measures: list
    changes_since: Sequence[TrailEntry]


def audit_register_as_of(
    *, controller: Controller, when: datetime.datetime, changes_limit: int = 200
) -> "RegisterSnapshot":
    """The processing record of one controller as it stood at `when`, and what changed since."""
    controller_then = Controller.history.as_of(when).filter(id=controller.pk).first()
    history_model = ProcessingActivity.history.model
    rows = [
        r
        for r in ProcessingActivity.history.filter(history_date__lte=when).latest_of_each()
        if r.history_type != "-" and r.status == ProcessingActivity.Status.APPROVED
    ]
    m2m = m2m_rows_for(history_model, [r.pk for r in rows])

    def ids(row, field_name, attname):
        return {v[attname] for v in m2m[row.pk].get(field_name, [])}

    covering = [
        r
        for r in rows
        if r.covers_all_controllers or controller.pk in ids(r, "controllers", "controller_id")
    ]
    subprocessor_ids = set().union(*(ids(r, "subprocessors", "subprocessor_id") for r in covering))
    measure_ids = set().union(
        *(ids(r, "security_measures", "securitymeasure_id") for r in covering)
    )
    subprocessors = list(Subprocessor.history.as_of(when).filter(id__in=subprocessor_ids))
    measures = list(SecurityMeasure.history.as_of(when).filter(id__in=measure_ids))
    in_scope = Q(controller_id=controller.pk)
    for model, pks in (
        (ProcessingActivity, [r.id for r in covering]),
        (Subprocessor, subprocessor_ids),
        (SecurityMeasure, measure_ids),
    ):
        if pks:
            in_scope |= Q(
                object_model=model._meta.label_lower, object_id__in=[str(pk) for pk in pks]
            )
    changes = list(
        TrailEntry.objects.filter(in_scope, history_date__gt=when).newest_first()[:changes_limit]
    )
    return RegisterSnapshot(
        when=when,
        controller=controller_then,
        activities=sorted(covering, key=lambda r: r.name),
        subprocessors=sorted(subprocessors, key=lambda s: s.name),
        security_measures=sorted(measures, key=lambda m: m.name),
        changes_since=changes,
    )


# Customer audits ---------------------------------------------------------------------------

# The tracked models a customer may read the history of, by audit area. How each is scoped to
# one controller is in `controller_trail_entries`; a model missing here never reaches a customer.
AREA_MODELS: dict[str, tuple[str, ...]] = {
    AuditArea.PROCESSING_RECORD: (
        "controllers.controller",
        "processors.processor",
        "processors.processingactivity",
        "data_categories.datacategory",
        "data_categories.datasubjectcategory",
    ),
    AuditArea.SUBPROCESSORS: (
        "subprocessors.subprocessor",
        "subprocessors.transfer",
        "subprocessors.subprocessorchange",
        "subprocessors.objection",
    ),
    AuditArea.SECURITY_MEASURES: ("processors.securitymeasure",),
    AuditArea.DSAR: ("dsar.dsarticket",),
    AuditArea.BREACHES: ("breaches.breachnotification",),
}

# Rows that carry the controller themselves (TrailEntry.controller).
_OWN_ROWS = {
    "controllers.controller",
    "subprocessors.objection",
    "dsar.dsarticket",
}
# Shared with every customer and announced to all of them.
_SHARED_WITH_ALL = {"processors.processor", "subprocessors.subprocessorchange"}


def audit_area_models(*, areas: Iterable[str]) -> set[str]:
    return {label for area in areas for label in AREA_MODELS.get(area, ())}


def audit_trail_scope(*, controller: Controller, areas: Iterable[str]) -> Q:
    """Which trail entries belong to `controller`'s records in `areas`, as one filter.

    Shared records (activities, their subprocessors, transfers, measures and categories) count
    when they are in the controller's record now; breach notices once they were sent.
    Queries: one per kind of shared record in the areas (at most six).
    """
    wanted = audit_area_models(areas=areas)
    scope = Q(pk__in=[])
    own = sorted(wanted & _OWN_ROWS)
    if own:
        scope |= Q(controller_id=controller.pk, object_model__in=own)
    shared = sorted(wanted & _SHARED_WITH_ALL)
    if shared:
        scope |= Q(object_model__in=shared)
    activities = ProcessingActivity.objects.covering(controller).in_record()

    def ids_of(label, values):
        nonlocal scope
        if label in wanted:
            ids = [str(v) for v in values if v is not None]
            scope |= Q(object_model=label, object_id__in=ids)

    ids_of("processors.processingactivity", activities.values_list("pk", flat=True))
    ids_of(
        "data_categories.datacategory",
        activities.values_list("data_categories", flat=True).distinct(),
    )
    ids_of(
        "data_categories.datasubjectcategory",
        activities.values_list("data_subject_categories", flat=True).distinct(),
    )
    subprocessor_ids = activities.values_list("subprocessors", flat=True).distinct()
    ids_of("subprocessors.subprocessor", subprocessor_ids)
    if "subprocessors.transfer" in wanted:
        ids_of(
            "subprocessors.transfer",
            Transfer.objects.filter(subprocessor__in=subprocessor_ids).values_list("pk", flat=True),
        )
    ids_of(
        "processors.securitymeasure",
        activities.values_list("security_measures", flat=True).distinct(),
    )
    ids_of(
        "breaches.breachnotification",
        BreachNotification.objects.filter(controller=controller, sent_at__isnull=False).values_list(
            "pk", flat=True
        ),
    )
    return scope


def audit_trail_entries(*, controller: Controller, areas: Iterable[str]) -> QuerySet[TrailEntry]:
    """The trail of one controller's records in the given areas, newest first."""
    return trail_entries().filter(audit_trail_scope(controller=controller, areas=areas))


def audit_access_log_for(*, controller: Controller) -> QuerySet[AuditAccessLog]:
    """The pages auditors opened at `controller`, newest first, with who opened them."""

    return (
        AuditAccessLog.objects.filter(controller=controller)
        .select_related("grant__auditor")
        .order_by("-at", "-pk")
    )


def audit_grants_for(*, controller: Controller) -> QuerySet[AuditGrant]:

    return (
        AuditGrant.objects.for_controller(controller)
        .select_related("auditor", "created_by", "revoked_by")
        .order_by("-starts_at", "-pk")
    )
