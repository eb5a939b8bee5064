from django.core.management.base import BaseCommand

from apps.jobs.services import job_results_expire


class Command(BaseCommand):
    help = (
        "Delete the files of jobs (PDFs made on request) kept longer than JOB_RESULT_DAYS; the "
        "jobs stay and say the file expired. Run daily by cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, dry_run=False, **options):
        count = job_results_expire(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"Job files: {verb} {count}.")
