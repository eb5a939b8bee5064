"""History models found generically, their rows in canonical form, and the hashes of the chain."""

import datetime
import decimal
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.db import models
from simple_history.models import HistoricalChanges

from apps.audit.models import GENESIS_HASH


def history_models() -> list[type[models.Model]]:
    """Every simple-history model of every installed app (not the many-to-many ones)."""
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


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def m2m_rows_for(history_model, history_ids: Iterable[int]) -> dict[int, dict[str, list]]:
    """{history_id: {field name: [through row values, sorted]}}, one query per m2m field."""
    ids = list(history_ids)
    found: dict[int, dict[str, list]] = defaultdict(dict)
    for field in m2m_fields(history_model):
        m2m_model = m2m_history_model(history_model, field)
        names = [
            f.attname for f in m2m_model._meta.concrete_fields if f.name not in ("m2m_history_id",)
        ]
        per_row: dict[int, list] = defaultdict(list)
        for values in m2m_model.objects.filter(history_id__in=ids).values(*names):
            per_row[values["history_id"]].append({k: _plain(v) for k, v in values.items()})
        for history_id in ids:
            rows = per_row.get(history_id, [])
            found[history_id][field.name] = sorted(rows, key=canonical_json)
    return found


def row_content(history_row, m2m_values: dict[str, list]) -> dict:
    meta = history_row._meta
    return {
        "model": meta.label_lower,
        "row": {f.attname: _plain(f.value_from_object(history_row)) for f in meta.concrete_fields},
        "m2m": m2m_values,
    }


def content_hash(history_row, m2m_values: dict[str, list]) -> str:
    return _sha256(canonical_json(row_content(history_row, m2m_values)))


def link_hash(*, prev_hash: str, seq: int, door: str, history_model: str, history_id: int,
              content_hash: str) -> str:  # fmt: skip
    payload = canonical_json(
        {
            "seq": seq,
            "door": door,
            "history_model": history_model,
            "history_id": history_id,
            "content_hash": content_hash,
        }
    )
    return _sha256((prev_hash or GENESIS_HASH) + payload)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def controller_id_of(history_row):
    """The controller a history row belongs to: a Controller itself, or a row with an FK to one."""
    from apps.controllers.models import Controller

    if history_row.instance_type is Controller:
        return getattr(history_row, "id", None)
    for field in history_row._meta.concrete_fields:
        if (
            isinstance(field, models.ForeignKey)
            and field.related_model is Controller
            and not field.name.startswith("history_")
        ):
            return field.value_from_object(history_row)
    return None


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
        for field in model._meta.concrete_fields:
            if not field.many_to_one:
                continue
            wanted = {getattr(i, field.attname) for i in instances.values() if i is not None}
            found = field.related_model._base_manager.using(using).in_bulk(wanted - {None})
            for instance in instances.values():
                related = found.get(getattr(instance, field.attname)) if instance else None
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
