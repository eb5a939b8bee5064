from django.core.management.base import BaseCommand

from apps.jobs.models import Job
from apps.jobs.services import job_requeue


class Command(BaseCommand):
    help = (
        "Enqueue again every job no worker is on: queued for longer than "
        "JOB_STALLED_AFTER_MINUTES (its enqueue was lost) or running without progress that long "
        "(its worker stopped). The work is safe to run again. Run by cron, e.g. every 10 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, enqueue nothing.")

    def handle(self, *args, dry_run=False, **options):
        waiting = Job.objects.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING])
        stalled = [job for job in waiting.order_by("pk") if job.is_abandoned()]
        if not dry_run:
            for job in stalled:
                job_requeue(job=job)
        verb = "would enqueue" if dry_run else "enqueued"
        self.stdout.write(f"Stalled jobs: {verb} {len(stalled)} again.")
