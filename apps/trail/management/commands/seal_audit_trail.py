from django.core.management.base import BaseCommand

from apps.trail.services import trail_seal_unchained


class Command(BaseCommand):
    help = (
        "Chain history rows that have no trail entry yet (rows written before the audit app "
        "was installed); run once after installing it. Rows sealed here say door 'command'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        count = trail_seal_unchained(dry_run=dry_run)
        verb = "Would seal" if dry_run else "Sealed"
        self.stdout.write(self.style.SUCCESS(f"{verb} {count} history rows."))
