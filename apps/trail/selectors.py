"""Reads of the trail: filtered and keyset-paginated, and each entry's changes with names."""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery

from apps.core.changes import (
    FieldChange,
    Names,
    field_changes,
    keep_only,
    m2m_changes,
    readable,
)
from apps.core.history import history_rows_by_model, m2m_fields, m2m_rows_by_model
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


def trail_changes(
    *, entries: Sequence[TrailEntry], visible_controller: Model | None = None
) -> dict[int, list[FieldChange]]:
    """Field-by-field changes of each entry against the object's previous history row, in
    words (apps/core/changes.py).

    Queries on PostgreSQL, however many models the page holds: one for the history rows of
    every model, one for their many-to-many rows, and (staff) one naming every related object
    from the trail; a related object the trail does not name (an untracked model) costs one
    query per model. Elsewhere, one query per history model and per related model.

    `visible_controller` is the customer who reads the changes: a value naming another
    controller (one of the other customers of a shared activity) is left out, so a change that
    named only others disappears; their names are never even read. Staff (None) see every name.
    """
    by_model = defaultdict(list)
    for entry in entries:
        by_model[entry.history_model].append(entry)
    # Staff read every name, so an object is named from its newest trail entry: one query for
    # every model together. A customer's names are read from the objects themselves.
    names = Names(lookup=trail_names if visible_controller is None else None)
    keep = _visible_to(visible_controller) if visible_controller is not None else None
    groups = []
    for label, group in by_model.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        previous_ids = {getattr(e, "prev_history_id", None) for e in group}
        ids: set[int] = {e.history_id for e in group} | {i for i in previous_ids if i}
        groups.append((model, group, ids))
    # Every history model's rows in one query, and every m2m field's in one more.
    rows_by_model = history_rows_by_model({model: ids for model, _, ids in groups})
    m2m_by_model = m2m_rows_by_model({model: ids for model, _, ids in groups})
    pending = []
    for model, group, _ in groups:
        rows = rows_by_model.get(model, {})
        m2m = m2m_by_model.get(model, {})
        m2m_names = [f.name for f in m2m_fields(model)]
        for entry in group:
            new = rows.get(entry.history_id)
            if new is None:
                continue
            old = rows.get(getattr(entry, "prev_history_id", None))
            raw = field_changes(model, new, old, m2m_names=m2m_names)
            raw += m2m_changes(model, m2m.get(new.pk, {}), m2m.get(old.pk, {}) if old else {})
            if keep is not None:
                raw = keep_only(raw, keep)
            names.want_all(raw)
            pending.append((entry, raw))
    # The page's entries come with their controller: a change naming it needs no query.
    controller_field = TrailEntry._meta.get_field("controller")
    for entry in entries:
        if entry.controller_id is not None and controller_field.is_cached(entry):
            names.know(entry.controller)
    names.resolve()
    return {entry.pk: readable(raw, names) for entry, raw in pending}


def trail_names(wanted: dict[Any, set]) -> dict[tuple[Any, Any], str]:
    """{(model, pk): name} of the objects wanted, each named by its newest trail entry: one
    query for every model, on the trail's (object, date) index. PostgreSQL only (DISTINCT ON);
    elsewhere nothing is named here. An object whose newest entry is its deletion is named as
    deleted, as the objects' own table would name it; one with no entry is left to the caller.
    """
    if connection.vendor != "postgresql" or not wanted:
        return {}
    keys: dict[tuple[str, str], tuple[Any, Any]] = {}
    condition = Q()
    for model, pks in wanted.items():
        label = model._meta.concrete_model._meta.label_lower
        for pk in pks:
            keys[(label, str(pk))] = (model, pk)
        condition |= Q(object_model=label, object_id__in=[str(pk) for pk in pks])
    newest = (
        TrailEntry.objects.filter(condition)
        .order_by("object_model", "object_id", "-history_date", "-seq")
        .distinct("object_model", "object_id")
        .values_list("object_model", "object_id", "object_repr", "history_type")
    )
    found = {}
    for label, object_id, text, kind in newest:
        model, pk = keys[(label, object_id)]
        found[(model, pk)] = f"#{pk} (deleted)" if kind == "-" else text
    return found


def _visible_to(visible_controller: Model):
    tenant = apps.get_model(TENANT_MODEL)._meta.concrete_model

    def keep(target, pk) -> bool:
        return target._meta.concrete_model is not tenant or pk == visible_controller.pk

    return keep
