"""The hashes of the chain: each history row's content in canonical form, the keyed mark the
application puts on a row it writes, and the keyed link of each entry to the one before."""

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models

from apps.core.history import canonical_json, plain_value
from apps.trail.keys import chain_mac, chain_mac_matches
from apps.trail.models import GENESIS_HASH, TENANT_MODEL, SealedRow, TrailEntry, TrailMark

# The columns of each history table when the keyed chain was introduced (hashed_fields.json).
# A column added since is hashed only when it holds something other than its empty or default
# value: the rows sealed before it existed (which a migration fills with that value) keep their
# hashes, and a real value in it is vouched for like any other. A column added to a tracked
# model must therefore be nullable, blank or have a constant default.
HASHED_FIELDS: dict[str, frozenset[str]] = {
    label: frozenset(names)
    for label, names in json.loads(
        (Path(__file__).parent / "hashed_fields.json").read_text()
    ).items()
}


_NO_DEFAULT = object()


@functools.cache
def _hash_plan(
    history_model: type[models.Model], always: frozenset[str]
) -> tuple[str, tuple[tuple[str, bool, Any], ...]]:
    """Per history model, once: its label and, for each column, its name, whether it is always
    hashed, and the constant default that leaves it out otherwise (the verification reads
    millions of rows)."""
    meta = history_model._meta
    columns = tuple(
        (
            f.attname,
            f.attname in always,
            f.default if f.has_default() and not callable(f.default) else _NO_DEFAULT,
        )
        for f in meta.concrete_fields
    )
    return meta.label_lower, columns


def _left_out(value: Any, default: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    return default is not _NO_DEFAULT and value == default


def row_content(history_row: models.Model, m2m_values: dict[str, list]) -> dict:
    model = type(history_row)
    label, columns = _hash_plan(model, HASHED_FIELDS.get(model._meta.label_lower, frozenset()))
    row = {}
    for attname, always, default in columns:
        value = getattr(history_row, attname)  # a concrete field's value_from_object
        if always or not _left_out(value, default):
            row[attname] = plain_value(value)
    return {"model": label, "row": row, "m2m": m2m_values}


def content_hash(history_row: Any, m2m_values: dict[str, list]) -> str:
    """sha256 of the row's canonical JSON: what the trail's keyed hashes vouch for."""
    return hashlib.sha256(
        canonical_json(row_content(history_row, m2m_values)).encode("utf-8")
    ).hexdigest()


def sealed_values(row: SealedRow) -> dict[str, Any]:
    return {name: plain_value(getattr(row, name)) for name in SealedRow.SEALED_FIELDS}


def mark_mac(mark: TrailMark) -> str:
    return chain_mac(key_id=mark.key_id, message=canonical_json({"mark": sealed_values(mark)}))


def mark_is_genuine(mark: TrailMark) -> bool:
    return chain_mac_matches(
        key_id=mark.key_id,
        message=canonical_json({"mark": sealed_values(mark)}),
        mac=mark.mark,
    )


def _link_message(entry: TrailEntry) -> str:
    return canonical_json(
        {
            "seq": entry.seq,
            "prev_hash": entry.prev_hash or GENESIS_HASH,
            "key_id": entry.key_id,
            "entry": sealed_values(entry),
        }
    )


def link_hash(entry: TrailEntry) -> str:
    """The entry's row_hash: keyed, over its place in the chain and every field it shows."""
    return chain_mac(key_id=entry.key_id, message=_link_message(entry))


def link_is_genuine(entry: TrailEntry) -> bool:
    return chain_mac_matches(key_id=entry.key_id, message=_link_message(entry), mac=entry.row_hash)


def controller_id_of(history_row: Any) -> int | None:
    """The controller a history row belongs to: a Controller itself, or a row with an FK to one."""
    Controller = apps.get_model(TENANT_MODEL)
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
