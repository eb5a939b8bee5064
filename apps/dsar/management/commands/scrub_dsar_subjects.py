from django.conf import settings
from django.core.management.base import BaseCommand

from apps.dsar.services import dsar_subject_scrub, dsar_subjects_to_scrub


class Command(BaseCommand):
    help = (
        "Remove the data subject's identifier from completed erasure requests older than "
        "DSAR_SCRUB_AFTER_DAYS, and from their history rows; the trail records the scrub."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be scrubbed; change nothing."
        )

    def handle(self, *args, dry_run, **options):
        tickets = list(dsar_subjects_to_scrub().order_by("reference"))
        for ticket in tickets:
            if dry_run:
                self.stdout.write(f"would scrub {ticket.reference}")
            else:
                dsar_subject_scrub(ticket=ticket)
        verb = "would scrub" if dry_run else "scrubbed"
        self.stdout.write(
            f"scrub_dsar_subjects: {verb} {len(tickets)} ticket(s) completed more than "
            f"{settings.DSAR_SCRUB_AFTER_DAYS} day(s) ago."
        )
