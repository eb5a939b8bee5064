"""Reads of the trail: filtered and keyset-paginated, diffs with names, the register as of a date.

A portal page for customer auditors calls `trail_entries(controller=...)`, `trail_page` and
`trail_changes` (scoped by controller), and `register_as_of(controller=..., when=...)`.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import ForeignKey, OuterRef, Q, Subquery

from apps.audit import chain
from apps.audit.models import AuditArea, TrailEntry


def trail_entries(
    *,
    object_model: str | None = None,
    object_id: str | None = None,
    user_id: int | None = None,
    controller=None,
    date_from: datetime.datetime | None = None,
    date_to: datetime.datetime | None = None,
):
    """The trail, newest first, narrowed by whichever filters are given."""
    qs = TrailEntry.objects.newest_first()
    if object_model:
        qs = qs.filter(object_model=object_model)
    if object_id:
        qs = qs.filter(object_id=str(object_id))
    if user_id:
        qs = qs.filter(user_id=user_id)
    if controller is not None:
        qs = qs.for_controller(controller)
    if date_from:
        qs = qs.filter(history_date__gte=date_from)
    if date_to:
        qs = qs.filter(history_date__lt=date_to)
    return qs


def encode_cursor(entry) -> str:
    return f"{entry.history_date.isoformat()}|{entry.seq}"


def decode_cursor(cursor: str):
    try:
        when, seq = cursor.rsplit("|", 1)
        return datetime.datetime.fromisoformat(when), int(seq)
    except (ValueError, TypeError):
        return None


def trail_page(qs, *, before: str | None = None, size: int = 50):
    """One page by keyset on (history_date, seq): no COUNT, no OFFSET, however long the trail.

    Returns (entries, cursor of the next page or None).
    """
    position = decode_cursor(before) if before else None
    if position:
        when, seq = position
        qs = qs.filter(Q(history_date__lt=when) | Q(history_date=when, seq__lt=seq))
    previous = TrailEntry.objects.filter(
        object_model=OuterRef("object_model"),
        object_id=OuterRef("object_id"),
        seq__lt=OuterRef("seq"),
    ).order_by("-seq")
    qs = qs.annotate(prev_history_id=Subquery(previous.values("history_id")[:1]))
    entries = list(qs.select_related("controller")[: size + 1])
    more = len(entries) > size
    entries = entries[:size]
    return entries, (encode_cursor(entries[-1]) if more and entries else None)


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class _Names:
    wanted: dict = field(default_factory=lambda: defaultdict(set))
    found: dict = field(default_factory=dict)

    def want(self, model, pk):
        if pk is not None:
            self.wanted[model].add(pk)

    def know(self, obj):
        self.found[(type(obj), obj.pk)] = str(obj)

    def resolve(self):
        for model, wanted in self.wanted.items():
            pks = {pk for pk in wanted if (model, pk) not in self.found}
            if not pks:
                continue
            objects = model._default_manager.in_bulk(list(pks))
            for pk in pks:
                obj = objects.get(pk)
                self.found[(model, pk)] = str(obj) if obj is not None else f"#{pk} (deleted)"

    def name(self, model, pk):
        return "" if pk is None else self.found.get((model, pk), f"#{pk}")


def trail_changes(entries) -> dict[int, list[FieldChange]]:
    """Field-by-field changes of each entry against the object's previous history row.

    Foreign keys and many-to-many values come out by name. Queries: per history model on the
    page, one for the rows and one per m2m field; then one per related model named.
    """
    by_model = defaultdict(list)
    for entry in entries:
        by_model[entry.history_model].append(entry)
    names = _Names()
    pending = []
    for label, group in by_model.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        ids = {e.history_id for e in group} | {
            e.prev_history_id for e in group if getattr(e, "prev_history_id", None)
        }
        rows = model._default_manager.in_bulk(list(ids))
        m2m = chain.m2m_rows_for(model, ids)
        m2m_names = [f.name for f in chain.m2m_fields(model)]
        for entry in group:
            new = rows.get(entry.history_id)
            if new is None:
                continue
            old = rows.get(getattr(entry, "prev_history_id", None))
            raw = _field_changes(model, new, old, m2m_names)
            raw += _m2m_changes(model, m2m.get(new.pk, {}), m2m.get(old.pk, {}) if old else {})
            for _, kind, target, old_v, new_v in raw:
                if kind in ("fk", "m2m"):
                    for pk in (old_v if kind == "m2m" else [old_v]) or []:
                        names.want(target, pk)
                    for pk in (new_v if kind == "m2m" else [new_v]) or []:
                        names.want(target, pk)
            pending.append((entry, raw))
    # The page's entries come with their controller: a change naming it needs no query.
    controller_field = TrailEntry._meta.get_field("controller")
    for entry in entries:
        if entry.controller_id is not None and controller_field.is_cached(entry):
            names.know(entry.controller)
    names.resolve()
    result = {}
    for entry, raw in pending:
        changes = []
        for label, kind, target, old_v, new_v in raw:
            if kind == "fk":
                old_s, new_s = names.name(target, old_v), names.name(target, new_v)
            elif kind == "m2m":
                old_s = ", ".join(sorted(names.name(target, pk) for pk in old_v))
                new_s = ", ".join(sorted(names.name(target, pk) for pk in new_v))
            else:
                old_s, new_s = _text(target, old_v), _text(target, new_v)
            changes.append(FieldChange(label, old_s, new_s))
        result[entry.pk] = changes
    return result


def _text(model_field, value) -> str:
    if value is None or value == "":
        return ""
    # A multiple CountryField has choices but no flatchoices: its values are lists of codes.
    choices = (
        dict(model_field.flatchoices or model_field.choices or []) if model_field.choices else {}
    )
    if not isinstance(value, str | bytes) and isinstance(value, Iterable):
        # Lists, and django-countries' multiple value (Country objects, keyed by their code).
        return ", ".join(str(choices.get(getattr(v, "code", v), v)) for v in value)
    return str(choices.get(getattr(value, "code", value), value))


def _field_changes(model, new, old, m2m_names):
    fields = [f for f in new.tracked_fields if f.editable and f.name not in m2m_names]
    out = []
    if old is None:
        if new.history_type == "-":
            return out
        for f in fields:
            value = f.value_from_object(new)
            if value not in (None, "", []):
                out.append(_change(model, f, None, value))
        return out
    delta = new.diff_against(old, excluded_fields=m2m_names)
    by_name = {f.name: f for f in fields}
    for change in delta.changes:
        f = by_name.get(change.field)
        if f is not None:
            out.append(_change(model, f, change.old, change.new))
    return out


def _change(model, f, old, new):
    label = str(f.verbose_name)
    if isinstance(f, ForeignKey):
        return (label, "fk", f.related_model, _pk(old), _pk(new))
    return (label, "value", f, old, new)


def _pk(value):
    return getattr(value, "pk", value)


def _m2m_changes(model, new_m2m, old_m2m):
    out = []
    for f in chain.m2m_fields(model):
        m2m_model = chain.m2m_history_model(model, f)
        target_attname = next(
            fk.attname
            for fk in m2m_model._meta.concrete_fields
            if isinstance(fk, ForeignKey) and fk.related_model is f.related_model
        )
        old_ids = sorted(r[target_attname] for r in old_m2m.get(f.name, []))
        new_ids = sorted(r[target_attname] for r in new_m2m.get(f.name, []))
        if old_ids != new_ids:
            out.append((str(f.verbose_name), "m2m", f.related_model, old_ids, new_ids))
    return out


@dataclass
class RegisterSnapshot:
    when: datetime.datetime
    controller: object
    activities: list
    subprocessors: list
    security_measures: list
    changes_since: list


def register_as_of(*, controller, when: datetime.datetime, changes_limit: int = 200):
    """The processing record of one controller as it stood at `when`, and what changed since."""
    from apps.controllers.models import Controller
    from apps.processors.models import ProcessingActivity, SecurityMeasure
    from apps.subprocessors.models import Subprocessor

    controller_then = Controller.history.as_of(when).filter(id=controller.pk).first()
    history = ProcessingActivity.history.model
    rows = [
        r
        for r in ProcessingActivity.history.filter(history_date__lte=when).latest_of_each()
        if r.history_type != "-" and r.status == ProcessingActivity.Status.APPROVED
    ]
    m2m = chain.m2m_rows_for(history, [r.pk for r in rows])

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


def models_of_areas(areas) -> set[str]:
    return {label for area in areas for label in AREA_MODELS.get(area, ())}


def controller_trail_scope(*, controller, areas) -> Q:
    """Which trail entries belong to `controller`'s records in `areas`, as one filter.

    Shared records (activities, their subprocessors, transfers, measures and categories) count
    when they are in the controller's record now; breach notices once they were sent.
    Queries: one per kind of shared record in the areas (at most six).
    """
    from apps.breaches.models import BreachNotification
    from apps.processors.models import ProcessingActivity
    from apps.subprocessors.models import Transfer

    wanted = models_of_areas(areas)
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


def controller_trail_entries(*, controller, areas):
    """The trail of one controller's records in the given areas, newest first."""
    return trail_entries().filter(controller_trail_scope(controller=controller, areas=areas))


def audit_access_log_for(controller):
    """The pages auditors opened at `controller`, newest first, with who opened them."""
    from apps.audit.models import AuditAccessLog

    return (
        AuditAccessLog.objects.filter(controller=controller)
        .select_related("grant__auditor")
        .order_by("-at", "-pk")
    )


def audit_grants_for(controller):
    from apps.audit.models import AuditGrant

    return (
        AuditGrant.objects.for_controller(controller)
        .select_related("auditor", "created_by", "revoked_by")
        .order_by("-starts_at", "-pk")
    )
