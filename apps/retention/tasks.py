"""The retention schedule as a background task, for `apply_retention --queue`."""

from apps.core.tasks import task
from apps.retention.services import retention_apply


@task()
def apply_retention() -> dict[str, int]:
    """Apply the schedule in a worker; returns the counts per category (no personal data)."""
    return retention_apply().counts
