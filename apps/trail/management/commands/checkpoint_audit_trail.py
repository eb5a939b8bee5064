from django.core.management.base import BaseCommand

from apps.trail.checkpoints import trail_checkpoint_write


class Command(BaseCommand):
    help = (
        "Write a signed checkpoint of the audit trail's head (sequence, hash, time) to the "
        "checkpoint store outside the database (AUDIT_CHECKPOINT_DIR or the S3 prefix). Run "
        "from cron, e.g. every 10 minutes, and on demand."
    )

    def handle(self, *args, **options):
        checkpoint = trail_checkpoint_write()
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint {checkpoint.name}: entry #{checkpoint.seq}, {checkpoint.row_hash}."
            )
        )
