"""The outbox's task: deliver the messages a change just recorded (delivery.py)."""

from apps.core.tasks import task
from apps.notifications.delivery import notifications_deliver


@task()
def deliver_notifications(ids: list[int]) -> dict[str, int]:
    """Send these messages if they are still due; the cron command retries what fails."""
    sent, failed = notifications_deliver(ids=ids)
    return {"sent": sent, "failed": failed}
