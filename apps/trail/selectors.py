"""Reads of the trail: filtered and keyset-paginated, and each entry's changes with names."""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import ForeignKey, Model, OuterRef, Q, QuerySet, Subquery

from apps.core.history import m2m_fields, m2m_history_model, m2m_rows_for
from apps.trail.models import TENANT_MODEL, TrailEntry


def trail_entries(
    *,
    object_model: str | None = None,
    object_id: str | None = None,
    user_id: int | None = None,
    controller: Model | int | None = None,
    date_from: datetime.datetime | None = None,
    date_to: datetime.datetime | None = None,
) -> QuerySet[TrailEntry]:
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


def trail_cursor_encode(*, entry: TrailEntry) -> str:
    return f"{entry.history_date.isoformat()}|{entry.seq}"


def trail_cursor_decode(*, cursor: str) -> tuple[datetime.datetime, int] | None:
    try:
        when, seq = cursor.rsplit("|", 1)
        return datetime.datetime.fromisoformat(when), int(seq)
    except (ValueError, TypeError):
        return None


def trail_page(
    *, entries: QuerySet[TrailEntry], before: str | None = None, size: int = 50
) -> tuple[Sequence[TrailEntry], str | None]:
    """One page by keyset on (history_date, seq): no COUNT, no OFFSET, however long the trail.

    Returns (entries, cursor of the next page or None).
    """
    qs = entries
    position = trail_cursor_decode(cursor=before) if before else None
    if position:
        when, seq = position
        qs = qs.filter(Q(history_date__lt=when) | Q(history_date=when, seq__lt=seq))
    previous = TrailEntry.objects.filter(
        object_model=OuterRef("object_model"),
        object_id=OuterRef("object_id"),
        seq__lt=OuterRef("seq"),
    ).order_by("-seq")
    qs = qs.annotate(prev_history_id=Subquery(previous.values("history_id")[:1]))
    rows = list(qs.select_related("controller")[: size + 1])
    more = len(rows) > size
    page = rows[:size]
    return page, (trail_cursor_encode(entry=page[-1]) if more and page else None)


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


def trail_changes(
    *, entries: Sequence[TrailEntry], visible_controller: Model | None = None
) -> dict[int, list[FieldChange]]:
    """Field-by-field changes of each entry against the object's previous history row.

    Foreign keys and many-to-many values come out by name. Queries: per history model on the
    page, one for the rows and one per m2m field; then one per related model named.

    `visible_controller` is the customer who reads the changes: a value naming another
    controller (one of the other customers of a shared activity) is left out, so a change that
    named only others disappears; their names are never even read. Staff (None) see every name.
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
        previous_ids = {getattr(e, "prev_history_id", None) for e in group}
        ids: set[int] = {e.history_id for e in group} | {i for i in previous_ids if i}
        rows = model._default_manager.in_bulk(list(ids))
        m2m = m2m_rows_for(model, ids)
        m2m_names = [f.name for f in m2m_fields(model)]
        for entry in group:
            new = rows.get(entry.history_id)
            if new is None:
                continue
            old = rows.get(getattr(entry, "prev_history_id", None))
            raw = _field_changes(model, new, old, m2m_names)
            raw += _m2m_changes(model, m2m.get(new.pk, {}), m2m.get(old.pk, {}) if old else {})
            if visible_controller is not None:
                raw = _only_visible_controller(raw, visible_controller)
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


def _only_visible_controller(raw: list[tuple], visible_controller: Model) -> list[tuple]:
    """The raw changes with every reference to a controller other than `visible_controller`
    taken out; a change left the same on both sides is dropped."""
    tenant = apps.get_model(TENANT_MODEL)._meta.concrete_model

    def keep(target, pk) -> bool:
        return target._meta.concrete_model is not tenant or pk == visible_controller.pk

    out = []
    for label, kind, target, old_v, new_v in raw:
        if kind == "fk":
            old_v = old_v if keep(target, old_v) else None
            new_v = new_v if keep(target, new_v) else None
        elif kind == "m2m":
            old_v = [pk for pk in old_v if keep(target, pk)]
            new_v = [pk for pk in new_v if keep(target, pk)]
        if kind != "value" and old_v == new_v:
            continue
        out.append((label, kind, target, old_v, new_v))
    return out


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


def _field_changes(model, new, old, m2m_names) -> list[tuple]:
    fields = [f for f in new.tracked_fields if f.editable and f.name not in m2m_names]
    out: list[tuple] = []
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
    for f in m2m_fields(model):
        m2m_model = m2m_history_model(model, f)
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
