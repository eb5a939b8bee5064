"""Writes to the trail: mark each history row the application writes, chain the marks after
commit, chain rows written before the trail existed or by a bulk loader, scrub personal data
from history rows."""

import copy
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.history import history_models, m2m_rows_for, object_labels
from apps.core.tasks import task_enqueue_committed
from apps.trail import chain
from apps.trail.checkpoints import CheckpointInvalid, newest_checkpoint
from apps.trail.keys import current_key_id
from apps.trail.models import GENESIS_HASH, Door, SealedRow, TrailEntry, TrailMark, TrailScrub

logger = logging.getLogger(__name__)

# Any constant shared by every writer; pg_advisory_xact_lock takes a bigint.
TRAIL_LOCK_KEY = 7_301_994_001


def current_door() -> str:
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return Door.COMMAND
    if request.path.startswith("/admin/"):
        return Door.ADMIN
    if request.path.startswith("/api/"):
        return Door.API
    return Door.PORTAL


def _lock_chain(using: str) -> None:
    connection = connections[using]
    # Two sealers must not both read the same last entry; held only while a batch is chained.
    # On SQLite writes are serialised.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TRAIL_LOCK_KEY])


def _sealed_fields(
    history_row: Any, *, content: str, door: str, user_repr: str, object_repr: str
) -> dict[str, Any]:
    """What the trail says of one history row (SealedRow's fields), for a mark or an entry."""
    instance_meta = history_row.instance_type._meta
    return {
        "history_model": history_row._meta.label_lower,
        "history_id": history_row.pk,
        "object_model": instance_meta.label_lower,
        "object_id": str(getattr(history_row, instance_meta.pk.attname)),
        "object_repr": object_repr[:300],
        "history_type": history_row.history_type,
        "history_date": history_row.history_date,
        "user_id": getattr(history_row, "history_user_id", None),
        "user_repr": user_repr[:254],
        "door": door,
        "change_reason": history_row.history_change_reason or "",
        "controller_id": chain.controller_id_of(history_row),
        "content_hash": content,
    }


def _mark_for(
    history_row: Any, *, content: str, door: str, user_repr: str, object_repr: str
) -> TrailMark:
    mark = TrailMark(
        **_sealed_fields(
            history_row, content=content, door=door, user_repr=user_repr, object_repr=object_repr
        ),
        key_id=current_key_id(),
    )
    mark.mark = chain.mark_mac(mark)
    return mark


def trail_mark_record(
    *, history_row: Any, using: str = "default", door: str | None = None
) -> TrailMark:
    """Put the application's keyed mark on a history row it has just written.

    No lock: marks are chained after commit by `trail_seal_pending`, so one customer's change
    never waits for another's transaction to end.
    """
    history_model = type(history_row)
    # Read back what the database holds, so the hash is of the stored values exactly.
    stored = history_model._default_manager.using(using).get(pk=history_row.pk)
    m2m = m2m_rows_for(history_model, [stored.pk])[stored.pk]
    user = getattr(history_row, "history_user", None) if stored.history_user_id else None
    mark = _mark_for(
        stored,
        content=chain.content_hash(stored, m2m),
        door=door or current_door(),
        user_repr=str(getattr(user, "email", "") or user or ""),
        object_repr=_repr(stored),
    )
    mark.save(using=using)
    _seal_after_commit(using)
    return mark


def _seal_after_commit(using: str) -> None:
    """Once this transaction commits, ask the worker to chain its marks (`seal_trail`, once per
    transaction however many): the request neither takes the chain's lock nor waits for it.

    The pending callbacks are the connection's own list, which a rollback empties: whether one
    of ours is there says whether this transaction already asked.
    """
    connection = connections[using]
    # Entries are (savepoint ids, callback, robust); django-stubs types only the first two.
    if any(getattr(entry[1], "trail_seal", False) for entry in connection.run_on_commit):
        return

    def seal() -> None:
        from apps.trail.tasks import seal_trail  # the task module imports these services

        task_enqueue_committed(seal_trail, using=using)

    seal.trail_seal = True  # type: ignore[attr-defined]
    # robust: a failure to enqueue is logged, and the next seal (or the cron command) chains the
    # marks left; it must not turn a committed change into an error page.
    transaction.on_commit(seal, using=using, robust=True)


def trail_seal_pending(*, using: str = "default", batch_size: int = 1000) -> int:
    """Chain every waiting mark whose MAC holds, oldest first; returns how many were chained.

    Each batch is one short transaction under the chain's lock: read the head, append the
    entries, delete their marks. A mark whose MAC does not hold was not written by the
    application: it is left for `verify_audit_trail` to report, never chained.
    """
    sealed = 0
    skip: set[int] = set()
    while True:
        with transaction.atomic(using=using):
            _lock_chain(using)
            marks = list(
                TrailMark.objects.using(using).exclude(pk__in=skip).order_by("pk")[:batch_size]
            )
            if not marks:
                return sealed
            last = (
                TrailEntry.objects.using(using).order_by("-seq").values("seq", "row_hash").first()
            )
            seq = last["seq"] if last else 0
            prev_hash = last["row_hash"] if last else GENESIS_HASH
            entries, chained = [], []
            for mark in marks:
                if not chain.mark_is_genuine(mark):
                    logger.error("trail: mark %s has no valid MAC; not chained", mark.pk)
                    skip.add(mark.pk)
                    continue
                seq += 1
                entry = TrailEntry(
                    seq=seq,
                    prev_hash=prev_hash,
                    key_id=current_key_id(),
                    **{name: getattr(mark, name) for name in SealedRow.SEALED_FIELDS},
                )
                entry.row_hash = chain.link_hash(entry)
                prev_hash = entry.row_hash
                entries.append(entry)
                chained.append(mark.pk)
            TrailEntry.objects.using(using).bulk_create(entries, batch_size=1000)
            TrailMark.objects.using(using).filter(pk__in=chained).delete()
            sealed += len(entries)
        if len(marks) < batch_size:
            # Every mark waiting when the batch was read is chained (or skipped); one written
            # since is chained by its own transaction's seal. No empty round to confirm it.
            return sealed


def _repr(history_row) -> str:
    try:
        text = str(history_row.instance)
    except Exception:  # a repr that follows a deleted relation must not stop the write
        text = f"{history_row.instance_type.__name__} {history_row.pk}"
    return text[:300]


def trail_mark_rows(
    *, history_model: Any, ids: list[int], door: str = Door.COMMAND, using: str = "default"
) -> int:
    """Mark history rows the application wrote without simple-history's signal (its bulk
    helpers, used to load data), a chunk at a time; `trail_seal_pending` then chains them."""
    User = get_user_model()
    with transaction.atomic(using=using):
        by_id = history_model._default_manager.using(using).in_bulk(ids)
        rows = [by_id[i] for i in ids if i in by_id]
        m2m = m2m_rows_for(history_model, [r.pk for r in rows])
        user_ids = {getattr(r, "history_user_id", None) for r in rows} - {None}
        emails = dict(User.objects.using(using).filter(pk__in=user_ids).values_list("pk", "email"))
        reprs = object_labels(rows, using)
        marks = []
        for row in rows:
            user_id = getattr(row, "history_user_id", None)
            marks.append(
                _mark_for(
                    row,
                    content=chain.content_hash(row, m2m[row.pk]),
                    door=door,
                    user_repr=str(emails.get(user_id, "") if user_id else ""),
                    object_repr=reprs[row.pk],
                )
            )
        TrailMark.objects.using(using).bulk_create(marks, batch_size=1000)
    return len(marks)


def _unchained(history_model: Any) -> QuerySet[Any]:
    label = history_model._meta.label_lower
    return history_model._default_manager.exclude(
        Exists(TrailEntry.objects.filter(history_model=label, history_id=OuterRef("history_id")))
    ).exclude(
        Exists(TrailMark.objects.filter(history_model=label, history_id=OuterRef("history_id")))
    )


class TrailNotSealable(Exception):
    pass


def trail_seal_preexisting(*, dry_run: bool = False, chunk_size: int = 2000) -> int:
    """Chain the history rows of a database that had history before the trail was installed.

    Only on a trail that has never held an entry: no entry and no checkpoint. Once the trail
    exists, a history row without the application's mark was written outside the application;
    it is never chained, and `verify_audit_trail` reports it. Returns how many were (or would
    be) chained.
    """
    try:
        checkpointed = newest_checkpoint() is not None
    except CheckpointInvalid:
        checkpointed = True  # a checkpoint nobody can read still says the trail existed
    if TrailEntry.objects.exists() or checkpointed:
        raise TrailNotSealable(
            "The trail already exists: only rows the application marks are chained. "
            "Run verify_audit_trail to see rows written outside it."
        )
    count = 0
    for history_model in history_models():
        rows = _unchained(history_model).order_by("history_date", "history_id")
        if dry_run:
            count += rows.count()
            continue
        ids = list(rows.values_list("history_id", flat=True))
        for start in range(0, len(ids), chunk_size):
            count += trail_mark_rows(
                history_model=history_model, ids=ids[start : start + chunk_size]
            )
    if not dry_run:
        trail_seal_pending()
    return count


# trail_trailentry's columns as a bulk load writes them; `id` comes from the table's identity.
_ENTRY_COLUMNS = ("seq", "prev_hash", "key_id", *SealedRow.SEALED_FIELDS, "row_hash", "recorded_at")


class TrailStoredDiffers(Exception):
    """A loader's history row hashes differently from what the database stored."""


def trail_chain_loaded(
    *, rows: Sequence[tuple[Any, str]], door: str = Door.COMMAND, using: str = "default"
) -> int:
    """Chain history rows that a loader has just written itself (with COPY, in the current
    transaction), in the order given; returns how many.

    `rows` holds each history row as written (an instance of its history model) with the
    object's str() as the row records it. Each entry is the one `trail_mark_rows` and then
    `trail_seal_pending` would make, with no mark in between: the same fields (`_sealed_fields`),
    the content hash of the row and its many-to-many rows (read from the database), the link to
    the entry before it under the current key. They are written with COPY after the current
    head, under the chain's lock, which the transaction then holds until it ends.

    The hashes are of the rows as given: the first and the last row of each history model are
    read back, and a stored row that hashes differently stops the load (TrailStoredDiffers),
    rather than chain what would not verify. PostgreSQL only.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        raise TransactionManagementError(
            "trail_chain_loaded runs on PostgreSQL, inside the transaction that wrote the rows."
        )
    ids: defaultdict[Any, list[int]] = defaultdict(list)
    for row, _ in rows:
        ids[type(row)].append(row.pk)
    m2m = {model: m2m_rows_for(model, model_ids) for model, model_ids in ids.items()}
    contents = [chain.content_hash(row, m2m[type(row)][row.pk]) for row, _ in rows]
    _check_stored(rows, contents, m2m, using)
    user_ids = {getattr(row, "history_user_id", None) for row, _ in rows} - {None}
    User = get_user_model()
    emails = dict(User.objects.using(using).filter(pk__in=user_ids).values_list("pk", "email"))

    _lock_chain(using)
    last = TrailEntry.objects.using(using).order_by("-seq").values("seq", "row_hash").first()
    seq = last["seq"] if last else 0
    prev_hash = last["row_hash"] if last else GENESIS_HASH
    key_id = current_key_id()
    recorded_at = timezone.now()
    sql = f"COPY {TrailEntry._meta.db_table} ({', '.join(_entry_columns())}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for (row, object_repr), content in zip(rows, contents, strict=True):
            user_id = getattr(row, "history_user_id", None)
            seq += 1
            # The entry's fields without Model.__init__, which costs half as much as the hash.
            entry = TrailEntry.__new__(TrailEntry)
            entry.__dict__.update(
                seq=seq,
                prev_hash=prev_hash,
                key_id=key_id,
                recorded_at=recorded_at,
                **_sealed_fields(
                    row,
                    content=content,
                    door=door,
                    user_repr=str(emails.get(user_id, "") if user_id else ""),
                    object_repr=object_repr,
                ),
            )
            entry.row_hash = prev_hash = chain.link_hash(entry)
            copy.write_row([getattr(entry, name) for name in _ENTRY_COLUMNS])
    return len(rows)


def _entry_columns() -> list[str]:
    columns = {f.attname: f.column for f in TrailEntry._meta.concrete_fields}
    return [columns[name] for name in _ENTRY_COLUMNS]


def _check_stored(rows, contents, m2m, using: str) -> None:
    first: dict[Any, tuple[int, str]] = {}
    last: dict[Any, tuple[int, str]] = {}
    for (row, _), content in zip(rows, contents, strict=True):
        first.setdefault(type(row), (row.pk, content))
        last[type(row)] = (row.pk, content)
    for model in first:
        wanted = dict([first[model], last[model]])
        stored = model._default_manager.using(using).in_bulk(list(wanted))
        for pk, content in wanted.items():
            if pk not in stored or chain.content_hash(stored[pk], m2m[model][pk]) != content:
                raise TrailStoredDiffers(
                    f"{model._meta.label_lower} history_id={pk}: the stored row does not hash "
                    "as the loader wrote it"
                )


def history_rows_scrub(
    *, rows: QuerySet[Any], values: dict, by: AbstractBaseUser | None, reason: str
) -> int:
    """Overwrite personal data in history rows (an erasure reaching the past), and record it.

    `rows` is a queryset of one history model; `values` maps field names to their replacement.
    The chain stays valid: each scrub records the row's content hash before and after. On
    PostgreSQL the change goes through the database's `audit_trail_scrub` function, the one way
    the application's role can rewrite a history row, which writes the scrub record itself.
    """
    history_model = rows.model
    label = history_model._meta.label_lower
    connection = connections[rows.db]
    count = 0
    trail_seal_pending()  # a row written moments ago is chained before it is scrubbed
    with transaction.atomic(using=rows.db):
        for row in rows.order_by("history_id").iterator(chunk_size=500):
            entry = TrailEntry.objects.get(history_model=label, history_id=row.pk)
            m2m = m2m_rows_for(history_model, [row.pk])[row.pk]
            before = chain.content_hash(row, m2m)
            scrubbed = copy.copy(row)
            for name, value in values.items():
                setattr(scrubbed, name, value)
            after = chain.content_hash(scrubbed, m2m)
            if connection.vendor == "postgresql":
                _scrub_in_database(
                    connection=connection,
                    row=row,
                    values=values,
                    entry=entry,
                    reason=reason,
                    by=by,
                    hashes=(before, after),
                )
            else:
                history_model._default_manager.filter(pk=row.pk).update(**values)
                TrailScrub.objects.create(
                    entry=entry,
                    fields=sorted(values),
                    reason=reason,
                    scrubbed_by_id=getattr(by, "pk", None),
                    before_content_hash=before,
                    after_content_hash=after,
                )
            stored = history_model._default_manager.get(pk=row.pk)
            if chain.content_hash(stored, m2m) != after:
                # The database stored something other than what the scrub recorded: undo it all.
                raise ValueError(f"scrub of {label} {row.pk} did not store the values it recorded")
            count += 1
    return count


def _scrub_in_database(
    *, connection, row, values: dict, entry: TrailEntry, reason: str, by, hashes: tuple[str, str]
) -> None:
    model = type(row)
    columns = {model._meta.get_field(name).column: value for name, value in values.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT audit_trail_scrub(%s, %s, %s::jsonb, %s, %s, %s, %s, %s)",
            [
                model._meta.db_table,
                row.pk,
                json.dumps(columns, cls=DjangoJSONEncoder),
                entry.pk,
                reason,
                getattr(by, "pk", None),
                *hashes,
            ],
        )
