from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.notifications.delivery import notifications_deliver
from apps.notifications.models import Notification


class Command(BaseCommand):
    help = (
        "Deliver every outbox message that is due: retries, and messages a stopped worker left "
        "behind once their claim expired (run by cron, e.g. every minute). Runs side by side "
        "with workers and with itself: each message is claimed by one sender at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=None, help="Try at most this many (default: all due)."
        )

    def handle(self, *args, limit, **options):
        sent, failed = notifications_deliver(limit=limit)
        waiting = Notification.objects.filter(status=Notification.Status.PENDING)
        sending = waiting.filter(claimed_until__gt=timezone.now()).count()
        gave_up = Notification.objects.filter(status=Notification.Status.FAILED).count()
        self.stdout.write(
            f"send_notifications: {sent} sent, {failed} failed this run; "
            f"{waiting.count()} waiting ({sending} being sent), {gave_up} given up."
        )
