"""Writes to the trail: seal a history row, seal rows written before the trail existed, scrub
personal data from history rows."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections, transaction
from django.db.models import Exists, OuterRef, QuerySet
from simple_history.models import HistoricalRecords

from apps.core.history import history_models, m2m_rows_for, object_labels
from apps.trail import chain
from apps.trail.guards import allow_history_scrub
from apps.trail.models import GENESIS_HASH, Door, TrailEntry, TrailScrub

# Any constant shared by every writer; pg_advisory_xact_lock takes a bigint.
TRAIL_LOCK_KEY = 7_301_994_001


def current_door() -> str:
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return Door.COMMAND
    return Door.ADMIN if request.path.startswith("/admin/") else Door.PORTAL


def _lock_chain(using: str) -> None:
    connection = connections[using]
    # Two writers must not both read the same last entry. On SQLite writes are serialised.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TRAIL_LOCK_KEY])


def trail_entry_record(
    *, history_row: Any, using: str = "default", door: str | None = None
) -> TrailEntry:
    """Append the entry that seals `history_row` to the chain."""
    history_model = type(history_row)
    with transaction.atomic(using=using):
        _lock_chain(using)
        # Read back what the database holds, so the hash is of the stored values exactly.
        stored = history_model._default_manager.using(using).get(pk=history_row.pk)
        m2m = m2m_rows_for(history_model, [stored.pk])[stored.pk]
        content_hash = chain.content_hash(stored, m2m)
        last = TrailEntry.objects.using(using).order_by("-seq").values("seq", "row_hash").first()
        seq = last["seq"] + 1 if last else 1
        prev_hash = last["row_hash"] if last else GENESIS_HASH
        door = door or current_door()
        label = history_model._meta.label_lower
        user_id = getattr(stored, "history_user_id", None)
        user = getattr(history_row, "history_user", None) if user_id else None
        return TrailEntry.objects.using(using).create(
            seq=seq,
            history_model=label,
            history_id=stored.pk,
            object_model=stored.instance_type._meta.label_lower,
            object_id=str(getattr(stored, stored.instance_type._meta.pk.attname)),
            object_repr=_repr(stored),
            history_type=stored.history_type,
            history_date=stored.history_date,
            user_id=user_id,
            user_repr=str(getattr(user, "email", "") or user or "")[:254],
            door=door,
            change_reason=stored.history_change_reason or "",
            controller_id=chain.controller_id_of(stored),
            content_hash=content_hash,
            prev_hash=prev_hash,
            row_hash=chain.link_hash(
                prev_hash=prev_hash,
                seq=seq,
                door=door,
                history_model=label,
                history_id=stored.pk,
                content_hash=content_hash,
            ),
        )


def _repr(history_row) -> str:
    try:
        text = str(history_row.instance)
    except Exception:  # a repr that follows a deleted relation must not stop the write
        text = f"{history_row.instance_type.__name__} {history_row.pk}"
    return text[:300]


def trail_seal_unchained(*, dry_run: bool = False, chunk_size: int = 2000) -> int:
    """Seal history rows that have no entry (written before apps.audit, or by a bulk path).

    Rows are sealed in date order under the door "command", a chunk at a time: one read of the
    rows, their many-to-many rows, their users and the objects their names follow, then one
    insert of the entries. The hashes are those `trail_entry_record` would write row by row.
    Returns how many were (or would be) sealed.
    """
    sealed = 0
    for history_model in history_models():
        label = history_model._meta.label_lower
        unchained = history_model._default_manager.exclude(
            Exists(
                TrailEntry.objects.filter(history_model=label, history_id=OuterRef("history_id"))
            )
        ).order_by("history_date", "history_id")
        if dry_run:
            sealed += unchained.count()
            continue
        # Ids first: the rows are read again inside each chunk's transaction.
        ids = list(unchained.values_list("history_id", flat=True))
        for start in range(0, len(ids), chunk_size):
            sealed += _seal_chunk(history_model, ids[start : start + chunk_size])
    return sealed


def _seal_chunk(history_model, ids: list[int], using: str = "default") -> int:
    User = get_user_model()
    label = history_model._meta.label_lower
    with transaction.atomic(using=using):
        _lock_chain(using)
        by_id = history_model._default_manager.using(using).in_bulk(ids)
        rows = [by_id[i] for i in ids if i in by_id]
        m2m = m2m_rows_for(history_model, [r.pk for r in rows])
        user_ids = {getattr(r, "history_user_id", None) for r in rows} - {None}
        emails = dict(User.objects.using(using).filter(pk__in=user_ids).values_list("pk", "email"))
        reprs = object_labels(rows, using)
        last = TrailEntry.objects.using(using).order_by("-seq").values("seq", "row_hash").first()
        seq = last["seq"] if last else 0
        prev_hash = last["row_hash"] if last else GENESIS_HASH
        entries = []
        for row in rows:
            seq += 1
            content_hash = chain.content_hash(row, m2m[row.pk])
            row_hash = chain.link_hash(
                prev_hash=prev_hash,
                seq=seq,
                door=Door.COMMAND,
                history_model=label,
                history_id=row.pk,
                content_hash=content_hash,
            )
            user_id = getattr(row, "history_user_id", None)
            entries.append(
                TrailEntry(
                    seq=seq,
                    history_model=label,
                    history_id=row.pk,
                    object_model=row.instance_type._meta.label_lower,
                    object_id=str(getattr(row, row.instance_type._meta.pk.attname)),
                    object_repr=reprs[row.pk],
                    history_type=row.history_type,
                    history_date=row.history_date,
                    user_id=user_id,
                    user_repr=str(emails.get(user_id, "") if user_id else "")[:254],
                    door=Door.COMMAND,
                    change_reason=row.history_change_reason or "",
                    controller_id=chain.controller_id_of(row),
                    content_hash=content_hash,
                    prev_hash=prev_hash,
                    row_hash=row_hash,
                )
            )
            prev_hash = row_hash
        TrailEntry.objects.using(using).bulk_create(entries, batch_size=1000)
    return len(entries)


def history_rows_scrub(
    *, rows: QuerySet[Any], values: dict, by: AbstractBaseUser | None, reason: str
) -> int:
    """Overwrite personal data in history rows (an erasure reaching the past), and record it.

    `rows` is a queryset of one history model; `values` maps field names to their replacement.
    The chain stays valid: each scrub records the row's content hash before and after.
    """
    history_model = rows.model
    label = history_model._meta.label_lower
    count = 0
    with allow_history_scrub():
        for row in rows.order_by("history_id").iterator(chunk_size=500):
            entry = TrailEntry.objects.get(history_model=label, history_id=row.pk)
            m2m = m2m_rows_for(history_model, [row.pk])[row.pk]
            before = chain.content_hash(row, m2m)
            history_model._default_manager.filter(pk=row.pk).update(**values)
            after_row = history_model._default_manager.get(pk=row.pk)
            TrailScrub.objects.create(
                entry=entry,
                fields=sorted(values),
                reason=reason,
                scrubbed_by_id=getattr(by, "pk", None),
                before_content_hash=before,
                after_content_hash=chain.content_hash(after_row, m2m),
            )
            count += 1
    return count
