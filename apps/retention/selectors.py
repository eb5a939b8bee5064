"""Reads of the retention schedule's runs: the last one, and whether it is recent enough."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.retention import schedule
from apps.retention.models import RetentionRun


@dataclass(frozen=True)
class RetentionState:
    last: RetentionRun | None
    # No run, a failed one, or none finished within RETENTION_STALE_AFTER_HOURS.
    stale: bool

    def removed(self) -> list[tuple[str, int]]:
        """(category label, rows) of the last run, in the schedule's order, those it touched."""
        if self.last is None:
            return []
        counts = self.last.counts
        return [(c.label, counts[c.key]) for c in schedule.CATEGORIES if counts.get(c.key)]


def retention_state(*, now: datetime | None = None) -> RetentionState:
    """The last run of the schedule and whether it is stale. One query."""
    now = now or timezone.now()
    last = RetentionRun.objects.select_related("started_by").order_by("-started_at", "-pk").first()
    stale_before = now - timedelta(hours=settings.RETENTION_STALE_AFTER_HOURS)
    stale = (
        last is None
        or last.status != RetentionRun.Status.DONE
        or last.finished_at is None
        or last.finished_at < stale_before
    )
    return RetentionState(last=last, stale=stale)
