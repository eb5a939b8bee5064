import os
import time

from django.core.management.base import BaseCommand, CommandError

from apps.trail.verification import SPAN, trail_verify


class Command(BaseCommand):
    help = (
        "Recompute the keyed chain of the audit trail and check it against the newest signed "
        "checkpoint; fail naming the first history row or entry that was altered, inserted or "
        "removed outside the application."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=2000)
        parser.add_argument(
            "--jobs",
            type=int,
            default=os.cpu_count() or 1,
            help="Processes that check spans of the chain side by side (default: one per core).",
        )

        parser.add_argument(
            "--span", type=int, default=SPAN, help="Entries each process checks at a time."
        )

    def handle(self, *args, chunk_size, jobs, span, **options):
        if chunk_size < 1 or jobs < 1 or span < 1:
            raise CommandError("--chunk-size, --jobs and --span must be at least 1.")
        started = time.monotonic()
        report = trail_verify(chunk_size=chunk_size, jobs=jobs, span=span)
        if not report.ok:
            raise CommandError(
                f"Audit trail broken after {report.entries} entries: {report.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {report.entries} entries chained and matched "
                f"in {time.monotonic() - started:.0f} s."
            )
        )
        checkpoint = report.checkpoint
        if checkpoint is None:
            self.stdout.write(
                "No checkpoint yet: run checkpoint_audit_trail (from cron) so that removing the "
                "newest entries can be detected too."
            )
        else:
            self.stdout.write(
                f"Checked against the checkpoint of {checkpoint.at:%Y-%m-%d %H:%M %Z} "
                f"(entry #{checkpoint.seq})."
            )
