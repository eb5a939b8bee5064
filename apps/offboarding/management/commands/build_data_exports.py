from django.core.management.base import BaseCommand

from apps.offboarding.services import data_exports_build_pending


class Command(BaseCommand):
    help = "Build the ZIP of every pending data export and email each requester its link."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, build nothing.")

    def handle(self, *args, dry_run=False, **options):
        built, failed = data_exports_build_pending(dry_run=dry_run)
        verb = "would build" if dry_run else "built"
        self.stdout.write(f"Data exports: {verb} {built}, failed {failed}.")
