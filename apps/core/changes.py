"""What changed between two history rows, as a reader would say it.

Field labels instead of column names, choice labels instead of codes, names instead of ids
(many-to-many included), "unassigned" instead of a missing person, dates in the reader's time
zone without microseconds. Shared by the admin's object history, the trail and the portal's
change history, so each says the same thing of the same change.

Queries: none per row. Related objects are named in one query per related model for the
whole page (`Names`), however many rows and foreign keys name them.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import ForeignKey, Model
from django.utils import formats, timezone

from apps.core.history import m2m_fields, m2m_history_model

EMPTY = "—"
UNASSIGNED = "unassigned"


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class RawChange:
    """One field's change before names are known: `kind` is "value", "fk" or "m2m"; for "fk"
    and "m2m" the values are primary keys of `target`, otherwise `target` is the field."""

    label: str
    kind: str
    target: Any
    old: Any
    new: Any


@dataclass
class Names:
    """Names of related objects, read in one query per model for everything wanted."""

    wanted: dict = field(default_factory=lambda: defaultdict(set))
    found: dict = field(default_factory=dict)
    # Asked first, with {model: pks} still unnamed: returns {(model, pk): name} for those it
    # can name at once (the trail names every tracked object in one query); the rest are read
    # one query per model.
    lookup: Callable[[dict], dict] | None = None

    def want(self, model, pk):
        if pk is not None:
            self.wanted[model].add(pk)

    def want_all(self, changes: Iterable[RawChange]):
        for change in changes:
            if change.kind == "fk":
                self.want(change.target, change.old)
                self.want(change.target, change.new)
            elif change.kind == "m2m":
                for pk in [*change.old, *change.new]:
                    self.want(change.target, pk)

    def know(self, obj):
        # Once per object: rows of one page name the same objects again and again, and a
        # name may follow foreign keys of its own.
        key = (type(obj), obj.pk)
        if key not in self.found:
            self.found[key] = str(obj)

    def resolve(self):
        if self.lookup is not None:
            unnamed = {
                model: {pk for pk in pks if (model, pk) not in self.found}
                for model, pks in self.wanted.items()
            }
            unnamed = {model: pks for model, pks in unnamed.items() if pks}
            if unnamed:
                self.found.update(self.lookup(unnamed))
        for model, wanted in self.wanted.items():
            pks = {pk for pk in wanted if (model, pk) not in self.found}
            if not pks:
                continue
            if model is ContentType:
                # Content types are cached per process: naming them costs no query.
                for pk in pks:
                    try:
                        self.found[(model, pk)] = str(ContentType.objects.get_for_id(pk))
                    except ContentType.DoesNotExist:
                        self.found[(model, pk)] = f"#{pk} (deleted)"
                continue
            # select_related(): a name that follows the object's own foreign keys (an
            # objection named by its change and controller) costs no query per object.
            objects = model._default_manager.select_related().in_bulk(list(pks))
            for pk in pks:
                obj = objects.get(pk)
                self.found[(model, pk)] = str(obj) if obj is not None else f"#{pk} (deleted)"

    def name(self, model, pk) -> str:
        if pk is None:
            return UNASSIGNED if _is_user_model(model) else EMPTY
        return self.found.get((model, pk), f"#{pk}")


def _is_user_model(model) -> bool:
    return model._meta.label == settings.AUTH_USER_MODEL


def value_text(model_field, value) -> str:
    """One stored value as the reader should see it."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(moment, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    # A multiple CountryField has choices but no flatchoices: its values are lists of codes.
    choices = (
        dict(model_field.flatchoices or model_field.choices or [])
        if getattr(model_field, "choices", None)
        else {}
    )
    if not isinstance(value, str | bytes) and isinstance(value, Iterable):
        # Lists, and django-countries' multiple value (Country objects, keyed by their code).
        return ", ".join(str(choices.get(getattr(v, "code", v), v)) for v in value) or EMPTY
    return str(choices.get(getattr(value, "code", value), value))


def _pk(value):
    return getattr(value, "pk", value)


def field_changes(history_model, new, old, *, m2m_names: Sequence[str] = ()) -> list[RawChange]:
    """The tracked, editable fields that differ between history rows `old` and `new` (all set
    fields when `old` is None: a creation)."""
    fields = [f for f in new.tracked_fields if f.editable and f.name not in m2m_names]

    def change(f, old_value, new_value) -> RawChange:
        label = str(f.verbose_name)
        label = label[:1].upper() + label[1:]
        if isinstance(f, ForeignKey):
            return RawChange(label, "fk", f.related_model, _pk(old_value), _pk(new_value))
        return RawChange(label, "value", f, old_value, new_value)

    if old is None:
        if new.history_type == "-":
            return []
        return [
            change(f, None, f.value_from_object(new))
            for f in fields
            if f.value_from_object(new) not in (None, "", [])
        ]
    delta = new.diff_against(old, excluded_fields=list(m2m_names))
    by_name = {f.name: f for f in fields}
    return [change(by_name[c.field], c.old, c.new) for c in delta.changes if c.field in by_name]


def m2m_changes(history_model, new_m2m: dict, old_m2m: dict) -> list[RawChange]:
    """Many-to-many fields whose set of related objects differs, as primary keys."""
    out = []
    for f in m2m_fields(history_model):
        through = m2m_history_model(history_model, f)
        target = next(
            fk.attname
            for fk in through._meta.concrete_fields
            if isinstance(fk, ForeignKey) and fk.related_model is f.related_model
        )
        old_ids = sorted(r[target] for r in old_m2m.get(f.name, []))
        new_ids = sorted(r[target] for r in new_m2m.get(f.name, []))
        if old_ids != new_ids:
            label = str(f.verbose_name)
            out.append(
                RawChange(label[:1].upper() + label[1:], "m2m", f.related_model, old_ids, new_ids)
            )
    return out


def keep_only(changes: list[RawChange], keep: Callable[[Any, Any], bool]) -> list[RawChange]:
    """The changes with every related object `keep(model, pk)` refuses taken out; a change
    left the same on both sides is dropped (a customer reading a shared record)."""
    out = []
    for c in changes:
        old, new = c.old, c.new
        if c.kind == "fk":
            old = old if keep(c.target, old) else None
            new = new if keep(c.target, new) else None
        elif c.kind == "m2m":
            old = [pk for pk in old if keep(c.target, pk)]
            new = [pk for pk in new if keep(c.target, pk)]
        if c.kind != "value" and old == new:
            continue
        out.append(RawChange(c.label, c.kind, c.target, old, new))
    return out


def readable(changes: list[RawChange], names: Names) -> list[FieldChange]:
    """Raw changes in words; call `names.resolve()` first."""
    out = []
    for c in changes:
        if c.kind == "fk":
            old, new = names.name(c.target, c.old), names.name(c.target, c.new)
        elif c.kind == "m2m":
            old = ", ".join(sorted(names.name(c.target, pk) for pk in c.old)) or EMPTY
            new = ", ".join(sorted(names.name(c.target, pk) for pk in c.new)) or EMPTY
        else:
            old, new = value_text(c.target, c.old), value_text(c.target, c.new)
        out.append(FieldChange(c.label, old, new))
    return out


def history_pairs_changes(
    history_model, pairs: Sequence[tuple[Any, Model, Model | None]], m2m: dict
) -> dict[Any, list[FieldChange]]:
    """{key: changes} for (key, newer row, older row or None) pairs of one history model;
    `m2m` is `m2m_rows_for(history_model, ids)` for every row named."""
    m2m_names = [f.name for f in m2m_fields(history_model)]
    raw = {}
    names = Names()
    # Objects the page's rows came with (select_related) are named without another query.
    foreign_keys = [f for f in history_model._meta.concrete_fields if f.many_to_one]
    for _, *rows in pairs:
        for row in rows:
            for fk in foreign_keys:
                if row is not None and fk.is_cached(row) and fk.get_cached_value(row) is not None:
                    names.know(fk.get_cached_value(row))
    for key, new, old in pairs:
        changes = field_changes(history_model, new, old, m2m_names=m2m_names)
        if m2m_names:
            changes += m2m_changes(
                history_model, m2m.get(new.pk, {}), m2m.get(old.pk, {}) if old else {}
            )
        names.want_all(changes)
        raw[key] = changes
    names.resolve()
    return {key: readable(changes, names) for key, changes in raw.items()}
