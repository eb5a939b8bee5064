"""The hashes of the chain: each history row's content in canonical form, and the links."""

import hashlib

from django.apps import apps
from django.db import models

from apps.core.history import canonical_json, plain_value
from apps.trail.models import GENESIS_HASH, TENANT_MODEL


def row_content(history_row, m2m_values: dict[str, list]) -> dict:
    meta = history_row._meta
    return {
        "model": meta.label_lower,
        "row": {
            f.attname: plain_value(f.value_from_object(history_row)) for f in meta.concrete_fields
        },
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
