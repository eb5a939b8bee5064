"""History helpers for every model that django-simple-history tracks: find the history models,
read their many-to-many rows in few queries, and name the objects their rows point to.

The trail (apps.trail) hashes what these return; the admin's history pages show it.
"""

import datetime
import decimal
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections, models, router
from simple_history.models import HistoricalChanges


def history_models() -> list[Any]:
    """Every simple-history model of every installed app (not the many-to-many ones).

    Typed Any: simple-history builds these classes at run time (instance_type, history_date).
    """
    return [
        m
        for m in apps.get_models()
        if issubclass(m, HistoricalChanges)
        and any(f.name == "history_date" for f in m._meta.concrete_fields)
    ]


def is_history_table_model(model) -> bool:
    # Works on frozen migration models too: simple-history names them Historical<Model>, and
    # its many-to-many ones Historical<Model>_<field>.
    return model._meta.model_name.startswith("historical")


def m2m_fields(history_model) -> list:
    return list(getattr(history_model, "_history_m2m_fields", None) or [])


def m2m_history_model(history_model, field):
    # simple-history names the model of each m2m field's history Historical<Model>_<field>.
    wanted = f"{history_model._meta.model_name}_{field.name}".lower()
    for rel in history_model._meta.related_objects:
        if rel.related_model._meta.model_name == wanted:
            return rel.related_model
    raise LookupError(f"no history model for {history_model._meta.label}.{field.name}")


# The exact types that are plain already: looked up before any isinstance, since the trail's
# verification calls this for every field of every history row.
_PLAIN_TYPES = frozenset({type(None), bool, int, float, str})


def plain_value(value):
    if type(value) in _PLAIN_TYPES:
        return value
    if type(value) is datetime.datetime:
        return value.isoformat()
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return str(value)


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Above this many history rows a page's m2m fields are read one query each, which keeps each
# query's parameter count at the size of the id list.
UNION_MAX_IDS = 500


def _m2m_columns(history_model) -> list[tuple]:
    specs = []
    for field in m2m_fields(history_model):
        m2m_model = m2m_history_model(history_model, field)
        columns = [f for f in m2m_model._meta.concrete_fields if f.name != "m2m_history_id"]
        specs.append((field, m2m_model, columns))
    return specs


def _same_shape(specs, connection) -> bool:
    shapes = {
        tuple((c.attname == "history_id", c.db_type(connection)) for c in columns)
        for _, _, columns in specs
    }
    return len(shapes) == 1


def m2m_rows_for(history_model, history_ids: Iterable[int]) -> dict[int, dict[str, list]]:
    """{history_id: {field name: [through row values, sorted]}}.

    One query for every m2m field together (UNION ALL) when their tables have the same shape,
    else one query per field.
    """
    ids = list(history_ids)
    found: dict[int, dict[str, list]] = defaultdict(dict)
    specs = _m2m_columns(history_model)
    per_field: dict[str, dict[int, list]] = {field.name: defaultdict(list) for field, _, _ in specs}

    def add(field, names, values):
        row = dict(zip(names, values, strict=True))
        per_field[field.name][row["history_id"]].append({k: plain_value(v) for k, v in row.items()})

    database = router.db_for_read(history_model)
    if len(specs) > 1 and len(ids) <= UNION_MAX_IDS and _same_shape(specs, connections[database]):
        parts = [
            m2m_model._default_manager.using(database)
            .filter(history_id__in=ids)
            .order_by()
            .values_list(
                models.Value(index, output_field=models.IntegerField()),
                *[c.attname for c in columns],
            )
            for index, (_, m2m_model, columns) in enumerate(specs)
        ]
        for index, *values in parts[0].union(*parts[1:], all=True):
            field, _, columns = specs[index]
            add(field, [c.attname for c in columns], values)
    else:
        for field, m2m_model, columns in specs:
            names = [c.attname for c in columns]
            for values in (
                m2m_model._default_manager.using(database)
                .filter(history_id__in=ids)
                .values_list(*names)
            ):
                add(field, names, values)
    for history_id in ids:
        for field, _, _ in specs:
            rows = per_field[field.name].get(history_id, [])
            found[history_id][field.name] = sorted(rows, key=canonical_json)
    return found


# Fields whose values JSON carries as text (or as a JSON number) where the database driver
# gives a Python object: `to_python` turns the text back into that object.
_FROM_JSON_TEXT = {
    "DateTimeField",
    "DateField",
    "TimeField",
    "DurationField",
    "UUIDField",
    "DecimalField",
    "FloatField",
}


def _value_from_json(field, value, connection):
    if value is None or isinstance(field, models.JSONField):
        return value
    internal = field.get_internal_type()
    if internal in _FROM_JSON_TEXT:
        value = field.to_python(value)
    elif internal == "BinaryField":
        value = bytes.fromhex(value.removeprefix("\\x"))
    from_db_value = getattr(field, "from_db_value", None)
    if from_db_value is not None:
        value = from_db_value(value, None, connection)
    return value


def _rows_as_json(connection, tables: list[tuple[str, str, list[int]]]) -> list[tuple[int, dict]]:
    """[(index into `tables`, row as a dict)] for the rows of each (table, key column, ids):
    every table in one query, each row as JSON (`to_jsonb`), so tables of different shapes
    travel through one UNION ALL. PostgreSQL only."""
    quote = connection.ops.quote_name
    parts = [
        f"SELECT {index}, to_jsonb(t)::text FROM {quote(table)} t WHERE t.{quote(key)} = ANY(%s)"
        for index, (table, key, _) in enumerate(tables)
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [ids for _, _, ids in tables])
        return [
            (index, json.loads(text, parse_float=decimal.Decimal))
            for index, text in cursor.fetchall()
        ]


def history_rows_by_model(
    wanted: dict[Any, Iterable[int]], using: str = "default"
) -> dict[Any, dict[Any, Any]]:
    """{history model: {history_id: row}} for the ids wanted of each history model.

    One query for every model together on PostgreSQL: each table's rows travel as JSON
    (`to_jsonb`) through one UNION ALL, so a page that names twelve history models pays once,
    not twelve times. Elsewhere, or for a single model, one query per model (`in_bulk`).
    """
    ids_of: dict[Any, list[int]] = {model: sorted(set(ids)) for model, ids in wanted.items() if ids}
    connection = connections[using]
    if len(ids_of) < 2 or connection.vendor != "postgresql":
        return {
            model: model._default_manager.using(using).in_bulk(ids) for model, ids in ids_of.items()
        }
    models_in_order = list(ids_of)
    found: dict[Any, dict[Any, Any]] = {model: {} for model in models_in_order}
    rows = _rows_as_json(
        connection,
        [(m._meta.db_table, m._meta.pk.column, ids_of[m]) for m in models_in_order],
    )
    for index, data in rows:
        model = models_in_order[index]
        fields = model._meta.concrete_fields
        instance = model.from_db(
            using,
            [f.attname for f in fields],
            [_value_from_json(f, data.get(f.column), connection) for f in fields],
        )
        found[model][instance.pk] = instance
    return found


def m2m_rows_by_model(
    wanted: dict[Any, Iterable[int]], using: str = "default"
) -> dict[Any, dict[int, dict[str, list]]]:
    """`m2m_rows_for` of several history models: {history model: {history_id: {field: rows}}}.

    One query for every m2m field of every model together on PostgreSQL (each through row as
    JSON, as `history_rows_by_model` reads history rows); elsewhere one per model.
    """
    ids_of: dict[Any, list[int]] = {
        model: sorted(set(ids)) for model, ids in wanted.items() if ids and m2m_fields(model)
    }
    connection = connections[using]
    if len(ids_of) < 2 or connection.vendor != "postgresql":
        return {model: m2m_rows_for(model, ids) for model, ids in ids_of.items()}
    specs = [
        (model, field, m2m_model, columns)
        for model in ids_of
        for field, m2m_model, columns in _m2m_columns(model)
    ]
    per_field: dict[tuple[Any, str], dict[int, list]] = defaultdict(lambda: defaultdict(list))
    rows = _rows_as_json(
        connection,
        [(m2m_model._meta.db_table, "history_id", ids_of[model]) for model, _, m2m_model, _ in specs],
    )
    for index, data in rows:
        model, field, _, columns = specs[index]
        row = {
            c.attname: plain_value(_value_from_json(c, data.get(c.column), connection))
            for c in columns
        }
        per_field[(model, field.name)][row["history_id"]].append(row)
    found: dict[Any, dict[int, dict[str, list]]] = {}
    for model, ids in ids_of.items():
        names = [field.name for field in m2m_fields(model)]
        found[model] = {
            history_id: {
                name: sorted(per_field[(model, name)].get(history_id, []), key=canonical_json)
                for name in names
            }
            for history_id in ids
        }
    return found


def object_labels(rows, using: str = "default") -> dict[int, str]:
    """str() of each row's object, with the objects it names fetched once for the whole chunk."""
    instances = {}
    for row in rows:
        try:
            instances[row.pk] = row.history_object  # excluded fields not fetched
        except Exception:
            instances[row.pk] = None
    if rows:
        model = rows[0].instance_type
        fields = [f for f in model._meta.concrete_fields if f.many_to_one]
        # One query per model named, however many foreign keys name it (owner, assignee...).
        wanted: defaultdict[tuple[Any, str], set[Any]] = defaultdict(set)
        for field in fields:
            target = field.target_field.attname
            key = (field.related_model, target)
            wanted[key] |= {getattr(i, field.attname) for i in instances.values() if i is not None}
        found = {
            (related_model, target): related_model._base_manager.using(using).in_bulk(
                ids - {None}, field_name=target
            )
            for (related_model, target), ids in wanted.items()
        }
        for field in fields:
            objects = found[(field.related_model, field.target_field.attname)]
            for instance in instances.values():
                related = objects.get(getattr(instance, field.attname)) if instance else None
                if related is not None:
                    field.set_cached_value(instance, related)
    reprs = {}
    for row in rows:
        instance = instances[row.pk]
        try:
            text = str(instance) if instance is not None else None
        except Exception:
            text = None
        reprs[row.pk] = (text or f"{row.instance_type.__name__} {row.pk}")[:300]
    return reprs


def history_stamp(obj: models.Model, *, by: AbstractBaseUser | None, reason: str) -> None:
    """Mark the next history row of `obj` with who acted and why, without saving.

    For writes that are not a plain save: a delete, or a save that a form or formset makes.
    `by` None leaves the acting user to simple-history (the request's user, or nobody in a job).
    """
    obj._change_reason = reason  # type: ignore[attr-defined]
    if by is not None:
        obj._history_user = by  # type: ignore[attr-defined]


def history_save(
    obj: models.Model,
    *,
    by: AbstractBaseUser | None,
    reason: str,
    update_fields: list[str] | None = None,
) -> None:
    """Save `obj` so that its history row says who acted (`by`) and why (`reason`, a code such
    as "dsar.ticket.extended" that the trail shows as a label)."""
    history_stamp(obj, by=by, reason=reason)
    obj.save(update_fields=update_fields)


def history_delete(obj: models.Model, *, by: AbstractBaseUser | None, reason: str) -> None:
    """Delete `obj`, its last history row saying who and why."""
    history_stamp(obj, by=by, reason=reason)
    obj.delete()


def history_backdate(
    obj: models.Model, *, at: datetime.datetime | None, by: AbstractBaseUser | None = None
) -> None:
    """Date the next history row of `obj` at `at` (and, with `by`, name who acted).

    For loading past records with simple-history's bulk helpers, which read these attributes
    from each instance (`bulk_create_with_history`, `bulk_update_with_history`).
    """
    obj._history_date = at  # type: ignore[attr-defined]
    if by is not None:
        obj._history_user = by  # type: ignore[attr-defined]
