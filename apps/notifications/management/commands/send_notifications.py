from django.core.management.base import BaseCommand

from apps.notifications.models import Notification
from apps.notifications.services import notification_send_many


class Command(BaseCommand):
    help = "Send every outbox message that is due (run by cron, e.g. every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="At most this many per run.")

    def handle(self, *args, limit, **options):
        sent, failed = notification_send_many(limit=limit)
        waiting = Notification.objects.filter(status=Notification.Status.PENDING).count()
        gave_up = Notification.objects.filter(status=Notification.Status.FAILED).count()
        self.stdout.write(
            f"send_notifications: {sent} sent, {failed} failed this run; "
            f"{waiting} waiting, {gave_up} given up."
        )
