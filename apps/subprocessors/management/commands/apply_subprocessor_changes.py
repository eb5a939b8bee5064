from django.core.management.base import BaseCommand

from apps.subprocessors.models import Objection
from apps.subprocessors.services import subprocessor_changes_apply


class Command(BaseCommand):
    help = (
        "Put announced subprocessor changes whose effective date has come into effect: additions "
        "become active, removals retired, replacements both. Safe to run repeatedly (cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due without changing anything."
        )

    def handle(self, *args, dry_run=False, **options):
        changes = subprocessor_changes_apply(dry_run=dry_run)
        for change in changes:
            self.stdout.write(f"{'due' if dry_run else 'applied'}: {change}")
        open_objections = Objection.objects.filter(
            change__in=changes, status=Objection.Status.OPEN
        ).count()
        verb = "would apply" if dry_run else "applied"
        summary = f"{len(changes)} subprocessor change(s) {verb}"
        if open_objections:
            summary += f"; {open_objections} objection(s) to them still open"
        self.stdout.write(self.style.SUCCESS(summary + (" (dry run)." if dry_run else ".")))
