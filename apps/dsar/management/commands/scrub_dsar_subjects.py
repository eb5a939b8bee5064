from django.conf import settings
from django.core.management.base import BaseCommand

from apps.dsar.services import dsar_subject_scrub, dsar_subjects_to_scrub


class Command(BaseCommand):
    help = (
        "Erase the data subject of completed erasure requests older than DSAR_SCRUB_AFTER_DAYS "
        "from the ticket and every copy (timeline, notes, attachment names, outbox, logs, task "
        "results) and their history rows; the trail records each scrub."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be scrubbed; change nothing."
        )

    def handle(self, *args, dry_run, **options):
        tickets = list(dsar_subjects_to_scrub().order_by("reference"))
        rows = history_rows = 0
        for ticket in tickets:
            if dry_run:
                self.stdout.write(f"would scrub {ticket.reference}")
            else:
                counts = dsar_subject_scrub(ticket=ticket)
                rows += counts.rows
                history_rows += counts.history_rows
        verb = "would scrub" if dry_run else "scrubbed"
        copies = "" if dry_run else f" ({rows} row(s) and {history_rows} history row(s) rewritten)"
        self.stdout.write(
            f"scrub_dsar_subjects: {verb} {len(tickets)} ticket(s) completed more than "
            f"{settings.DSAR_SCRUB_AFTER_DAYS} day(s) ago{copies}."
        )
