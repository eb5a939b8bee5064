"""Long work that runs on the task queue while its person follows it: a data export, an erasure,
a PDF made on demand, notices to many controllers, an import, reminders.

A request records a Job and returns at once; a worker runs the job's task (apps/jobs/tasks.py),
which reports progress, then a result (a link, or a file kept in private storage) or a reason
for failing. The person who started it reads its state on the job's page, in the admin or in the
portal, and retries a failed one from there.
"""

import uuid
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel


def private_storage():
    return storages["private"]


def result_path(instance, filename: str) -> str:
    # A random name: the path tells nothing about whose document it is.
    return f"jobs/{uuid.uuid4().hex}{PurePath(filename).suffix[:10]}"


class JobQuerySet(models.QuerySet):
    def for_controller(self, controller):
        """The only way the portal reaches jobs: one controller's, nobody else's."""
        return self.filter(controller=controller)

    def started_by(self, user):
        return self.filter(started_by=user)


class Job(TimeStampedModel):
    """One long job: what it does, who started it, how far it has come and how it ended."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    FINISHED = (State.DONE, State.FAILED)

    kind = models.CharField(
        max_length=60, help_text="What the job does, e.g. offboarding.data_export."
    )
    title = models.CharField(max_length=250, help_text="What the person who started it reads.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for a job a scheduled command started.",
    )
    # Named, not imported: jobs sit below the domain apps and know controllers only by label.
    controller = models.ForeignKey(
        "controllers.Controller",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The organisation the job belongs to, when it belongs to one.",
    )
    # The django-tasks task that does the work, and its arguments (JSON), for a retry.
    task_path = models.CharField(max_length=200)
    arguments = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty while the job has not counted its work."
    )
    step = models.CharField(max_length=200, blank=True, help_text="What it is doing now.")
    summary = models.CharField(max_length=500, blank=True, help_text="What it did.")
    # The result: a page (a URL name and its arguments), or a file only this job's page serves.
    result_url_name = models.CharField(max_length=100, blank=True)
    result_url_args = models.JSONField(default=list, blank=True)
    result_label = models.CharField(max_length=200, blank=True)
    result_file = models.FileField(
        storage=private_storage, upload_to=result_path, max_length=200, blank=True
    )
    result_filename = models.CharField(max_length=200, blank=True)
    result_expires_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    task_result_id = models.CharField(
        "task result id",
        max_length=64,
        blank=True,
        help_text="The task queue's id of the last run (django-tasks).",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # The run that holds the job: a run whose token was replaced (the job was retried after it
    # stalled) stops at its next report.
    run_token = models.UUIDField(null=True, blank=True, editable=False)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [
            # "My jobs", newest first, in the admin; and every job for those who read them all.
            models.Index(fields=["started_by", "-queued_at", "-id"], name="job_started_by_newest"),
            models.Index(fields=["-queued_at", "-id"], name="job_newest"),
            models.Index(fields=["state", "updated_at"], name="job_state_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=["done", "failed"]) | Q(finished_at__isnull=False),
                name="job_finished_has_finished_at",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def percent(self) -> int | None:
        """How far it has come, 0 to 100; None while it has not counted its work."""
        if self.state == self.State.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def counts(self) -> str:
        if self.progress_total:
            return f"{self.progress_done:,} of {self.progress_total:,}"
        return ""

    def is_stalled(self, now=None) -> bool:
        """Running, but silent for longer than a live worker would be: its worker stopped."""
        limit = timedelta(minutes=settings.JOB_STALLED_AFTER_MINUTES)
        return (
            self.state == self.State.RUNNING and self.updated_at < (now or timezone.now()) - limit
        )

    def is_abandoned(self, now=None) -> bool:
        """No worker is on it: queued for longer than a worker takes to pick a job up (its task
        was never enqueued, or the queue lost it), or running but stalled."""
        now = now or timezone.now()
        limit = timedelta(minutes=settings.JOB_STALLED_AFTER_MINUTES)
        waited_too_long = self.state == self.State.QUEUED and self.queued_at < now - limit
        return waited_too_long or self.is_stalled(now)

    @property
    def can_be_retried(self) -> bool:
        return self.state == self.State.FAILED or self.is_stalled()

    @property
    def state_label(self) -> str:
        if self.is_stalled():
            return "Stalled (no progress reported for a while)"
        return self.get_state_display()

    def result_url(self) -> str:
        """The page the result is on, or "" when the job has none (or the page is gone)."""
        if not self.result_url_name:
            return ""
        try:
            return reverse(self.result_url_name, args=self.result_url_args)
        except NoReverseMatch:
            return ""

    @property
    def result_file_expired(self) -> bool:
        return self.result_expires_at is not None and self.result_expires_at <= timezone.now()
