"""Signed checkpoints of the chain's head, kept outside the database.

A checkpoint says: at this time the chain ended at entry `seq` with `row_hash`. It is signed
with the chain key and written as a new file (or S3 object) that is never overwritten, so a
store with object lock keeps every one. `verify_audit_trail` checks the chain against the newest
checkpoint: removing the last entries, or emptying the trail and every history table, leaves a
chain shorter than (or different from) what the checkpoint recorded.

Receipts are the same statement signed for one customer, who keeps it for their own records.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils import timezone

from apps.core.history import canonical_json
from apps.trail.keys import chain_mac, chain_mac_matches, current_key_id
from apps.trail.models import GENESIS_HASH, TrailEntry

PREFIX = "checkpoint-"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    row_hash: str
    at: datetime
    key_id: str
    signature: str
    name: str = ""


class CheckpointInvalid(Exception):
    pass


def _storage() -> Storage:
    return storages["trail_checkpoints"]


def _sign(statement: dict, key_id: str) -> str:
    return chain_mac(key_id=key_id, message=canonical_json({"checkpoint": statement}))


def trail_head() -> tuple[int, str]:
    """(seq, row_hash) of the newest entry; (0, the genesis hash) for an empty trail."""
    last = TrailEntry.objects.order_by("-seq").values_list("seq", "row_hash").first()
    return last if last else (0, GENESIS_HASH)


def trail_checkpoint_write(*, now: datetime | None = None) -> Checkpoint:
    """Write a signed checkpoint of the current head as a new file; returns it."""
    seq, row_hash = trail_head()
    at = now or timezone.now()
    key_id = current_key_id()
    statement = {"seq": seq, "row_hash": row_hash, "at": at.isoformat()}
    signature = _sign(statement, key_id)
    body = {**statement, "key_id": key_id, "signature": signature}
    name = f"{PREFIX}{seq:012d}-{at:%Y%m%dT%H%M%S%f}.json"
    saved = _storage().save(name, ContentFile(json.dumps(body, indent=2).encode("utf-8")))
    return Checkpoint(seq, row_hash, at, key_id, signature, saved)


def _read(name: str) -> Checkpoint:
    with _storage().open(name, "rb") as handle:
        try:
            body = json.loads(handle.read())
            statement = {"seq": int(body["seq"]), "row_hash": body["row_hash"], "at": body["at"]}
            key_id, signature = body["key_id"], body["signature"]
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointInvalid(f"checkpoint {name} cannot be read") from error
    if not chain_mac_matches(
        key_id=key_id, message=canonical_json({"checkpoint": statement}), mac=signature
    ):
        raise CheckpointInvalid(f"checkpoint {name} is not signed with a chain key")
    return Checkpoint(
        statement["seq"],
        statement["row_hash"],
        datetime.fromisoformat(statement["at"]),
        key_id,
        signature,
        name,
    )


def newest_checkpoint() -> Checkpoint | None:
    """The checkpoint with the highest sequence (then the latest time); None when there is none.

    Raises CheckpointInvalid when that file does not carry a valid signature: a forged or
    altered checkpoint is a finding, not something to skip.
    """
    try:
        _, files = _storage().listdir("")
    except FileNotFoundError:
        return None
    names = sorted(n for n in files if n.startswith(PREFIX) and n.endswith(".json"))
    return _read(names[-1]) if names else None


def trail_receipt(*, controller_id: int, controller_name: str, now: datetime | None = None) -> dict:
    """A signed statement of the chain's head for one customer to keep.

    It names the customer it was issued to and nothing of anyone else. Later, the processor
    shows that entry `seq` still carries `row_hash`: the history before it is what it was.
    """
    seq, row_hash = trail_head()
    statement = {
        "issued_to": {"controller_id": controller_id, "name": controller_name},
        "issued_at": (now or timezone.now()).isoformat(),
        "seq": seq,
        "row_hash": row_hash,
    }
    key_id = current_key_id()
    return {
        **statement,
        "key_id": key_id,
        "signature": chain_mac(key_id=key_id, message=canonical_json({"receipt": statement})),
    }


def trail_receipt_is_genuine(receipt: dict) -> bool:
    statement = {k: receipt.get(k) for k in ("issued_to", "issued_at", "seq", "row_hash")}
    return chain_mac_matches(
        key_id=str(receipt.get("key_id", "")),
        message=canonical_json({"receipt": statement}),
        mac=str(receipt.get("signature", "")),
    )
