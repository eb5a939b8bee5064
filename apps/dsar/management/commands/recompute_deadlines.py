from django.core.management.base import BaseCommand

from apps.dsar.services import dsar_deadlines_recompute


class Command(BaseCommand):
    help = (
        "Count the deadlines of open data-subject requests anew from their receipt (Regulation "
        "1182/71, each controller's time zone, public holidays and non-working days) and save "
        "those that moved, with a history row naming the rule."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the deadlines that would move; save none."
        )

    def handle(self, *args, dry_run, **options):
        counts = dsar_deadlines_recompute(dry_run=dry_run)
        verb = "would move" if dry_run else "moved"
        self.stdout.write(
            f"recompute_deadlines: {verb} {counts['moved']} of {counts['checked']} open "
            "ticket(s)' deadlines."
        )
