from django.core.management.base import BaseCommand

from apps.dsar.services import dsar_reminders_send


class Command(BaseCommand):
    help = (
        "Warn assignees (or every Support Agent, for unassigned tickets) of data-subject requests "
        "due within N days and of overdue ones; once per ticket and threshold (run daily by cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=3, help="Warn of tickets due within this many days."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be sent; send nothing."
        )

    def handle(self, *args, days, dry_run, **options):
        counts = dsar_reminders_send(within_days=days, dry_run=dry_run)
        prefix = (
            "send_reminders (dry run): would warn of" if dry_run else "send_reminders: warned of"
        )
        self.stdout.write(
            f"{prefix} {counts['due_soon']} ticket(s) due within {days} day(s) and "
            f"{counts['overdue']} overdue; {counts['already_warned']} already warned."
        )
