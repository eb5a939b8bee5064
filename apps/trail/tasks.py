"""The trail's task: chain the marks a committed change left (services.trail_seal_pending)."""

from apps.core.tasks import task
from apps.trail.services import trail_seal_pending


@task()
def seal_trail(using: str = "default") -> int:
    """Chain every waiting mark, under the chain's lock; returns how many were chained. The cron
    command `seal_audit_trail` chains what a lost enqueue or a stopped worker left."""
    return trail_seal_pending(using=using)
