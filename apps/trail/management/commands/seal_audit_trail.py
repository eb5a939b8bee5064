from django.core.management.base import BaseCommand, CommandError

from apps.trail.services import TrailNotSealable, trail_seal_pending, trail_seal_preexisting


class Command(BaseCommand):
    help = (
        "Chain the history rows the application has marked and not chained yet (the worker's "
        "seal_trail task does it after each commit; run this from cron to catch up after a "
        "failure). With --preexisting, chain the history of a database that had it before the "
        "trail was installed: only on a trail that has never held an entry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--preexisting", action="store_true")
        parser.add_argument("--dry-run", action="store_true", help="With --preexisting: count.")

    def handle(self, *args, preexisting, dry_run, **options):
        if preexisting:
            try:
                count = trail_seal_preexisting(dry_run=dry_run)
            except TrailNotSealable as error:
                raise CommandError(str(error)) from error
            verb = "Would chain" if dry_run else "Chained"
            self.stdout.write(self.style.SUCCESS(f"{verb} {count} pre-existing history rows."))
            return
        count = trail_seal_pending()
        self.stdout.write(self.style.SUCCESS(f"Chained {count} marked history rows."))
