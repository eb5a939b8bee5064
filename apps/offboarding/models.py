"""Deletion and return of a controller's data (DPA clause 9).

A customer admin asks in the portal for an export of all its data (a ZIP kept in private storage
behind an expiring link) or for deletion. Deletion waits a cooling-off period, is confirmed by a
Privacy Officer, erases the controller's personal data and leaves a deletion certificate.
"""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.dates import datetime_text
from apps.core.models import TimeStampedModel


def private_storage():
    return storages["private"]


def export_path(instance, filename: str) -> str:
    # A random name: the path tells nothing about whose data is inside.
    return f"exports/{uuid.uuid4().hex}.zip"


def certificate_path(instance, filename: str) -> str:
    return f"certificates/{uuid.uuid4().hex}.pdf"


class ControllerScopedQuerySet(models.QuerySet):
    def for_controller(self, controller):
        """The only way the portal reaches these rows: one controller's, nobody else's."""
        return self.filter(controller=controller)


class DataExport(TimeStampedModel):
    """A customer's request for a copy of all its data, and the ZIP that answers it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        ERASED = "erased", "File erased"

    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.PROTECT, related_name="data_exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(
        storage=private_storage, upload_to=export_path, max_length=200, blank=True
    )
    size = models.PositiveBigIntegerField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = ControllerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(expires_at__isnull=False, ready_at__isnull=False),
                name="dataexport_ready_has_expiry",
                violation_error_message="A ready export needs the time it was made and its expiry.",
            ),
        ]

    def __str__(self):
        return f"Export of {self.controller} requested {datetime_text(self.requested_at)}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def filename(self) -> str:
        slug = "".join(c if c.isalnum() else "-" for c in self.controller.legal_name.lower())
        return f"data-export-{slug.strip('-')}-{self.requested_at:%Y-%m-%d}.zip"


class DeletionRequest(TimeStampedModel):
    """A customer's request that we delete its data; moves only through DELETION_TRANSITIONS."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        COOLING_OFF = "cooling_off", "Cooling-off period"
        CANCELLED = "cancelled", "Cancelled"
        CONFIRMED = "confirmed", "Confirmed"
        COMPLETED = "completed", "Completed"

    PENDING = (Status.REQUESTED, Status.COOLING_OFF, Status.CONFIRMED)

    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.PROTECT, related_name="deletion_requests"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    cooling_off_ends_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # What was erased, counted per kind ({"dsar_subject_identifiers": 3, ...}).
    erased_counts = models.JSONField(default=dict, blank=True)
    certificate = models.FileField(
        storage=private_storage, upload_to=certificate_path, max_length=200, blank=True
    )

    history = HistoricalRecords()
    objects = ControllerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One pending request per controller, whichever door (or race) a second one takes.
            models.UniqueConstraint(
                fields=["controller"],
                condition=Q(status__in=["requested", "cooling_off", "confirmed"]),
                name="deletionrequest_one_pending_per_controller",
                violation_error_message="A deletion request for this controller is already pending.",
            ),
        ]

    def __str__(self):
        return f"Deletion of {self.controller} requested {self.requested_at:%Y-%m-%d}"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING
