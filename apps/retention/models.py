from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from apps.core.dates import datetime_text


class RetentionRun(models.Model):
    """One run of the retention schedule (`apply_retention`): when, with which periods, and how
    many rows of each category it deleted or anonymised. Its history rows are the trail's record
    of every run."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when cron or a worker ran it.",
    )
    # Category key → days kept, as the settings said when the run started.
    periods = models.JSONField(default=dict)
    # Category key → rows deleted or anonymised.
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["-started_at"], name="retention_run_newest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="running", finished_at__isnull=True)
                | (~Q(status="running") & Q(finished_at__isnull=False)),
                name="retentionrun_finished_matches_status",
                violation_error_message="A finished run needs the time it finished.",
            ),
        ]

    def __str__(self):
        return f"Retention run of {datetime_text(self.started_at)}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())
