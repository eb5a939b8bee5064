from django.core.management.base import BaseCommand, CommandError

from apps.core.tasks import task_enqueue_on_commit
from apps.retention import schedule
from apps.retention.models import RetentionRun
from apps.retention.services import retention_apply, retention_due_counts
from apps.retention.tasks import apply_retention


class Command(BaseCommand):
    help = (
        "Delete or anonymise what has outlived its retention period (settings.RETENTION_DAYS: "
        "security events, the auditors' access log, outbox bodies, sign-in records, task "
        "results, invitations never accepted, data export files) and record the run in the "
        "trail. Run it daily from cron; running it again changes nothing more."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; change nothing."
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Hand the run to a task worker and return at once, instead of running it here.",
        )

    def handle(self, *args, dry_run=False, queue=False, **options):
        if dry_run:
            counts = retention_due_counts()
            for category in schedule.CATEGORIES:
                self.stdout.write(
                    f"{category.label}: {counts[category.key]} due after {category.days} days"
                )
            self.stdout.write(
                f"Retention: would delete or anonymise {sum(counts.values())} row(s)."
            )
            return
        if queue:
            task_enqueue_on_commit(apply_retention)
            self.stdout.write("Retention: queued for a task worker.")
            return
        try:
            run = retention_apply()
        except Exception as error:
            failed = RetentionRun.objects.order_by("-started_at", "-pk").first()
            raise CommandError(
                f"Retention: the run failed ({failed.error if failed else type(error).__name__})."
            ) from error
        for category in schedule.CATEGORIES:
            self.stdout.write(f"{category.label}: {run.counts.get(category.key, 0)}")
        self.stdout.write(f"Retention: deleted or anonymised {run.total} row(s) (run {run.pk}).")
