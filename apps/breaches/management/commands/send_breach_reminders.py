from django.core.management.base import BaseCommand

from apps.breaches.services import breach_reminders_send


class Command(BaseCommand):
    help = (
        "Remind each open incident's owner 12 hours and 1 hour before our target to notify the "
        "affected controllers, and once when it is missed (run by cron, e.g. every 10 minutes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the reminders without queueing them."
        )

    def handle(self, *args, dry_run, **options):
        counts = breach_reminders_send(dry_run=dry_run)
        verb = "would queue" if dry_run else "queued"
        total = counts["12h"] + counts["1h"] + counts["missed"]
        self.stdout.write(
            f"send_breach_reminders: {verb} {total} reminder(s) "
            f"({counts['12h']} at 12 h, {counts['1h']} at 1 h, {counts['missed']} missed); "
            f"{counts['checked']} incident(s) waiting on a notice."
        )
