from django.core.management.base import BaseCommand, CommandError

from apps.dsar.services import dsar_deadlines_recompute, dsar_reminders_send
from apps.dsar.tasks import REMINDERS_JOB, send_dsar_reminders
from apps.jobs.services import job_start
from apps.jobs.tasks import job_run_here


class Command(BaseCommand):
    help = (
        "Warn assignees (or every Support Agent, for unassigned tickets) of data-subject requests "
        "due within N days and of overdue ones; once per ticket and threshold (run daily by cron). "
        "Open tickets' deadlines are first counted anew with each controller's calendar, so a "
        "change of time zone, region or non-working days reaches them. Runs as a job (see "
        "Admin → Jobs): here, or with --queue on a worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=3, help="Warn of tickets due within this many days."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be sent; send nothing."
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Hand the job to a task worker and return at once, instead of running it here.",
        )

    def handle(self, *args, days, dry_run, queue=False, **options):
        if dry_run:
            moved = dsar_deadlines_recompute(dry_run=True)["moved"]
            counts = dsar_reminders_send(within_days=days, dry_run=True)
        else:
            job = job_start(
                task=send_dsar_reminders,
                kind=REMINDERS_JOB,
                title=f"Reminders of data-subject requests due within {days} day(s)",
                by=None,
                arguments={"days": days},
                enqueue=queue,
            )
            if queue:
                self.stdout.write(f"send_reminders: queued as job {job.pk} for a task worker.")
                return
            outcome = job_run_here(job)
            if outcome["state"] != "done":
                job.refresh_from_db()
                raise CommandError(f"send_reminders: job {job.pk} failed: {job.failure_reason}")
            moved, counts = outcome["moved"], outcome
        if moved:
            verb = "would move" if dry_run else "moved"
            self.stdout.write(f"send_reminders: {verb} the deadline of {moved} open ticket(s).")
        prefix = (
            "send_reminders (dry run): would warn of" if dry_run else "send_reminders: warned of"
        )
        self.stdout.write(
            f"{prefix} {counts['due_soon']} ticket(s) due within {days} day(s) and "
            f"{counts['overdue']} overdue; {counts['already_warned']} already warned."
        )
