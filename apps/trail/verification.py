"""Recompute the chain and find the first row altered, inserted or removed out of band."""

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.db.models import Exists, Max, OuterRef

from apps.core.history import history_models, m2m_rows_for
from apps.core.processes import forked_map
from apps.trail import chain
from apps.trail.checkpoints import Checkpoint, CheckpointInvalid, newest_checkpoint
from apps.trail.models import GENESIS_HASH, TrailEntry, TrailMark, TrailScrub


@dataclass
class ChainReport:
    entries: int = 0
    problem: str | None = None
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _batched(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _expected_content(entry, scrubs) -> str | None:
    """The content hash the row should have now, or None if the scrub ledger is broken."""
    expected = entry.content_hash
    for scrub in scrubs:
        if scrub.before_content_hash != expected:
            return None
        expected = scrub.after_content_hash
    return expected


# Entries per span when the chain is checked by several processes: each span is checked on its
# own (links, rows, scrubs) and joined to the one before by the entry it starts after.
SPAN = 50_000


@dataclass
class _Span:
    """What one span of the chain showed: how many entries it checked, and its first problem."""

    entries: int = 0
    problem: str | None = None


def trail_verify(*, chunk_size: int = 2000, jobs: int = 1, span: int = SPAN) -> ChainReport:
    """Walk the chain from the start: every link keyed and unbroken, every history row as it
    was sealed (or scrubbed, as recorded), the head at least the newest checkpoint, and no
    history row that neither the chain nor a genuine mark accounts for.

    With `jobs` above one (PostgreSQL, outside a transaction) the chain, up to the head it has
    when the walk starts, is checked in spans by that many processes side by side; the report
    is the same: the first problem along the chain. Inside a transaction the walk stays in this
    process, which alone sees what the transaction wrote."""
    report = ChainReport()
    try:
        checkpoint = newest_checkpoint()
    except CheckpointInvalid as error:
        report.problem = f"{error}: someone altered the checkpoints"
        return report
    head = TrailEntry.objects.aggregate(head=Max("seq"))["head"] or 0
    spans = [(first, min(first + span - 1, head)) for first in range(1, head + 1, span)]
    calls = [(first, last, checkpoint, chunk_size) for first, last in spans]
    if jobs > 1 and len(spans) > 1 and _may_fork():
        results = forked_map(_check_span, calls, jobs=jobs)
    else:
        results = (_check_span(*call) for call in calls)
    for checked in results:
        report.entries += checked.entries
        if checked.problem is not None:
            report.problem = checked.problem
            return report
    if checkpoint is not None and head < checkpoint.seq:
        report.problem = (
            f"the trail ends at entry #{head}, but the checkpoint of "
            f"{checkpoint.at:%Y-%m-%d %H:%M} recorded #{checkpoint.seq}: "
            "the newest entries (or the whole trail) were removed"
        )
        return report
    report.checkpoint = checkpoint
    report.problem = _pending_mark_problem(chunk_size) or _first_unsealed_row()
    return report


def _may_fork() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _check_span(first: int, last: int, checkpoint: Checkpoint | None, chunk_size: int) -> _Span:
    """Entries #first..#last: each in its place, keyed, its history row as sealed; the first
    linked to the entry before the span (whose own check belongs to the span before)."""
    span = _Span()
    if first == 1:
        prev_hash: str | None = GENESIS_HASH
    else:
        prev_hash = (
            TrailEntry.objects.filter(seq=first - 1).values_list("row_hash", flat=True).first()
        )
    prev_seq = first - 1
    for start in range(first, last + 1, chunk_size):
        stop = min(start + chunk_size - 1, last)
        batch = list(TrailEntry.objects.filter(seq__gte=start, seq__lte=stop).order_by("seq"))
        rows = _rows_for(batch)
        scrubs = defaultdict(list)
        in_chunk = TrailScrub.objects.filter(entry__seq__gte=start, entry__seq__lte=stop)
        for scrub in in_chunk.order_by("id"):
            scrubs[scrub.entry_id].append(scrub)
        for entry in batch:
            name = f"entry #{entry.seq} ({entry.history_model} history_id={entry.history_id})"
            if entry.seq != prev_seq + 1:
                span.problem = f"entries #{prev_seq + 1}..#{entry.seq - 1} were removed"
                return span
            span.entries += 1
            # No entry before the span: the span before reports it removed, and nothing here
            # can say what this entry should link to.
            if (prev_hash is not None and entry.prev_hash != prev_hash) or not (
                chain.link_is_genuine(entry)
            ):
                span.problem = f"{name}: the entry itself was altered or inserted"
                return span
            found = rows.get((entry.history_model, entry.history_id))
            if found is None:
                span.problem = f"{name}: the history row was removed"
                return span
            row, m2m = found
            expected = _expected_content(entry, scrubs.get(entry.pk, []))
            if expected is None:
                span.problem = f"{name}: its scrub records do not follow on"
                return span
            if chain.content_hash(row, m2m) != expected:
                span.problem = f"{name}: the history row was altered ({entry.object_repr})"
                return span
            prev_hash, prev_seq = entry.row_hash, entry.seq
            if (
                checkpoint is not None
                and entry.seq == checkpoint.seq
                and entry.row_hash != checkpoint.row_hash
            ):
                span.problem = (
                    f"{name} differs from the checkpoint of {checkpoint.at:%Y-%m-%d %H:%M} "
                    "that recorded it: the chain was rewritten"
                )
                return span
    if prev_seq < last:
        span.problem = f"entries #{prev_seq + 1}..#{last} were removed"
    return span


def _rows_for(batch) -> dict:
    by_model = defaultdict(list)
    for entry in batch:
        by_model[entry.history_model].append(entry.history_id)
    found = {}
    for label, ids in by_model.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # the rows then count as removed
        m2m = m2m_rows_for(model, ids)
        for row in model._default_manager.filter(pk__in=ids):
            found[(label, row.pk)] = (row, m2m[row.pk])
    return found


def _pending_mark_problem(chunk_size: int = 2000) -> str | None:
    """Marks not chained yet vouch for their rows too: each must be the application's, and its
    row must still hold what was marked."""
    marks = TrailMark.objects.order_by("pk").iterator(chunk_size=chunk_size)
    for batch in _batched(marks, chunk_size):
        rows = _rows_for(batch)
        for mark in batch:
            name = f"{mark.history_model} history_id={mark.history_id}"
            if not chain.mark_is_genuine(mark):
                return f"{name} carries a mark the application did not write: inserted out of band"
            found = rows.get((mark.history_model, mark.history_id))
            if found is None:
                return f"{name} (not chained yet): the history row was removed"
            if chain.content_hash(*found) != mark.content_hash:
                return f"{name} (not chained yet): the history row was altered ({mark.object_repr})"
    return None


def _first_unsealed_row() -> str | None:
    for model in history_models():
        label = model._meta.label_lower
        row = (
            model._default_manager.exclude(
                Exists(
                    TrailEntry.objects.filter(
                        history_model=label, history_id=OuterRef("history_id")
                    )
                )
            )
            .exclude(
                Exists(
                    TrailMark.objects.filter(history_model=label, history_id=OuterRef("history_id"))
                )
            )
            .order_by("history_date", "history_id")
            .first()
        )
        if row is not None:
            return (
                f"{label} history_id={row.pk} ({row.history_date:%Y-%m-%d %H:%M:%S}) has no "
                "trail entry: inserted out of band"
            )
    return None
