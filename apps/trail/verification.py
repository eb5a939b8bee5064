"""Recompute the chain and find the first row altered, inserted or removed out of band."""

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Exists, OuterRef

from apps.core.history import history_models, m2m_rows_for
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


def trail_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the chain from the start: every link keyed and unbroken, every history row as it
    was sealed (or scrubbed, as recorded), the head at least the newest checkpoint, and no
    history row that neither the chain nor a genuine mark accounts for."""
    report = ChainReport()
    try:
        checkpoint = newest_checkpoint()
    except CheckpointInvalid as error:
        report.problem = f"{error}: someone altered the checkpoints"
        return report
    prev_hash, prev_seq = GENESIS_HASH, 0
    entries = TrailEntry.objects.order_by("seq").iterator(chunk_size=chunk_size)
    for batch in _batched(entries, chunk_size):
        rows = _rows_for(batch)
        scrubs = defaultdict(list)
        for scrub in TrailScrub.objects.filter(entry__in=[e.pk for e in batch]).order_by("id"):
            scrubs[scrub.entry_id].append(scrub)
        for entry in batch:
            report.entries += 1
            name = f"entry #{entry.seq} ({entry.history_model} history_id={entry.history_id})"
            if entry.seq != prev_seq + 1:
                report.problem = f"entries #{prev_seq + 1}..#{entry.seq - 1} were removed"
                return report
            if entry.prev_hash != prev_hash or not chain.link_is_genuine(entry):
                report.problem = f"{name}: the entry itself was altered or inserted"
                return report
            found = rows.get((entry.history_model, entry.history_id))
            if found is None:
                report.problem = f"{name}: the history row was removed"
                return report
            row, m2m = found
            expected = _expected_content(entry, scrubs.get(entry.pk, []))
            if expected is None:
                report.problem = f"{name}: its scrub records do not follow on"
                return report
            if chain.content_hash(row, m2m) != expected:
                report.problem = f"{name}: the history row was altered ({entry.object_repr})"
                return report
            prev_hash, prev_seq = entry.row_hash, entry.seq
            if (
                checkpoint is not None
                and entry.seq == checkpoint.seq
                and entry.row_hash != checkpoint.row_hash
            ):
                report.problem = (
                    f"{name} differs from the checkpoint of {checkpoint.at:%Y-%m-%d %H:%M} "
                    "that recorded it: the chain was rewritten"
                )
                return report
    if checkpoint is not None and prev_seq < checkpoint.seq:
        report.problem = (
            f"the trail ends at entry #{prev_seq}, but the checkpoint of "
            f"{checkpoint.at:%Y-%m-%d %H:%M} recorded #{checkpoint.seq}: "
            "the newest entries (or the whole trail) were removed"
        )
        return report
    report.checkpoint = checkpoint
    report.problem = _pending_mark_problem(chunk_size) or _first_unsealed_row()
    return report


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
