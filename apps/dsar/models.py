"""Data-subject requests (GDPR Art. 15-21) that controllers pass on to us, and their clocks.

Two clocks run on a ticket. The statutory one belongs to the controller: one month from the
controller's receipt (Art. 12(3)), extendable by up to two more months with a reason, counted as
Regulation 1182/71 counts months, where the controller is (apps.core.legaltime). Ours is the
response target we promise the controller (settings.DSAR_RESPONSE_TARGET_DAYS from when the
request reached us); it stops while we wait on the customer, and moves later by the time paused.
"""

import uuid
import zoneinfo
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.dates import datetime_text
from apps.core.legaltime import Clock, DeadlineCalendar, clock
from apps.core.models import TimeStampedModel
from apps.dsar.deadlines import dsar_calendar_for

SCRUBBED = "[scrubbed]"


def private_storage():
    return storages["private"]


def attachment_path(instance, filename: str) -> str:
    # A random name: the stored path says nothing about the subject or the customer's file name.
    return f"dsar/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


class DsarTicketQuerySet(models.QuerySet):
    def for_controller(self, controller):
        """The only way the portal reaches tickets: one controller's, nobody else's."""
        return self.filter(controller=controller)

    def open(self):
        return self.filter(status__in=DsarTicket.OPEN_STATUSES)

    def overdue(self, at=None):
        """Open and past the deadline: the clock's `overdue`, in SQL."""
        return self.open().filter(due_at__lt=at or timezone.now())

    def due_within(self, days: int, at=None):
        """Open, not overdue, `days` calendar days left or fewer, as each ticket's clock counts
        them where its controller is.

        A day ends at a different instant in each controller's zone, so the rows are read once
        (those due within `days` + 2 days, a superset) and each one's clock decides.
        """
        at = at or timezone.now()
        candidates = (
            self.open()
            .filter(due_at__gte=at, due_at__lt=at + timedelta(days=days + 2))
            .select_related("controller")
        )
        return self.filter(pk__in=[t.pk for t in candidates if t.clock(at).due_within(days)])


class DsarTicket(TimeStampedModel):
    class RequestType(models.TextChoices):
        ACCESS = "access", "Access (Art. 15)"
        RECTIFICATION = "rectification", "Rectification (Art. 16)"
        ERASURE = "erasure", "Erasure (Art. 17)"
        RESTRICTION = "restriction", "Restriction of processing (Art. 18)"
        PORTABILITY = "portability", "Data portability (Art. 20)"
        OBJECTION = "objection", "Objection (Art. 21)"

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
        COMPLETED = "completed", "Completed"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class RejectionReason(models.TextChoices):
        MANIFESTLY_UNFOUNDED = "manifestly_unfounded", "Manifestly unfounded (Art. 12(5))"
        EXCESSIVE = "excessive", "Excessive (Art. 12(5))"
        IDENTITY_UNVERIFIABLE = "identity_unverifiable", "Identity cannot be verified (Art. 12(6))"
        OTHER = "other", "Other (explained in the resolution)"

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER)
    # Types whose effect must reach every subprocessor holding the data (Art. 19).
    PROPAGATED_TYPES = (RequestType.ERASURE, RequestType.RECTIFICATION, RequestType.RESTRICTION)

    reference = models.CharField(max_length=20, unique=True, editable=False)
    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.PROTECT, related_name="dsar_tickets"
    )
    request_type = models.CharField(max_length=20, choices=RequestType.choices)
    # The only personal data on a ticket: enough to find the person in the systems, no more.
    data_subject_identifier = models.CharField(
        max_length=200,
        help_text="How the subject is known in the customer's app (user id or email). "
        "The only personal data kept here; scrubbed after an erasure is completed.",
    )
    details = models.TextField(
        blank=True, help_text="What is asked, without further personal data about the subject."
    )
    received_at = models.DateTimeField("received by the controller at")
    submitted_at = models.DateTimeField("submitted to us at", default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submitted_dsar_tickets",
    )
    # Client-provided, unique per controller: a double-clicked submit makes one ticket.
    submission_token = models.CharField(max_length=64, blank=True, editable=False)
    statutory_due_at = models.DateTimeField(
        editable=False,
        help_text="One month from the controller's receipt (Art. 12(3)), as Regulation 1182/71 "
        "counts it: the end of the next working day where the controller is.",
    )
    extension_months = models.PositiveSmallIntegerField(default=0)
    extension_reason = models.TextField(blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(
        "due (with extension)",
        editable=False,
        help_text="One month plus any extension from the controller's receipt, counted the same "
        "way.",
    )
    response_target_at = models.DateTimeField(
        "our response target",
        editable=False,
        help_text="Moves later by the time spent waiting on the customer.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    rejection_reason = models.CharField(max_length=30, choices=RejectionReason.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_dsar_tickets",
        limit_choices_to={"is_staff": True},
    )
    resolution = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    scrubbed_at = models.DateTimeField(null=True, blank=True, editable=False)
    scrubbed_by = models.CharField(max_length=100, blank=True, editable=False)
    # Proof of an erasure without the data: `<chain key id>:<HMAC-SHA256>` of the identifier
    # (apps/dsar/erasure.py); staff check a given identifier against it.
    erased_identifier_hash = models.CharField(
        "keyed hash of the erased identifier",
        max_length=100,
        blank=True,
        editable=False,
        # A default in the database too: rows written by earlier migrations' frozen models.
        default="",
        db_default="",
    )

    history = HistoricalRecords()
    objects = DsarTicketQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "reference"]
        verbose_name = "DSAR ticket"
        # The work queue (by deadline) and each of its filters, and the portal's list of one
        # controller's tickets, read in index order at any size.
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["due_at", "reference"], name="dsar_queue_due"),
            models.Index(fields=["request_type", "due_at"], name="dsar_type_due"),
            models.Index(fields=["assignee", "due_at"], name="dsar_assignee_due"),
            models.Index(fields=["controller", "due_at"], name="dsar_controller_due"),
            models.Index(fields=["controller", "-submitted_at"], name="dsar_controller_submitted"),
            models.Index(fields=["data_subject_identifier"], name="dsar_subject"),
            # The admin's search for a whole identifier in any case (UPPER(...) = UPPER(...)).
            models.Index(Upper("data_subject_identifier"), name="dsar_subject_upper"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["controller", "submission_token"],
                condition=~Q(submission_token=""),
                name="dsar_ticket_unique_submission_token",
            ),
            models.CheckConstraint(
                condition=Q(extension_months__lte=2),
                name="dsar_ticket_extension_at_most_two_months",
                violation_error_message="An extension is at most two further months.",
            ),
            models.CheckConstraint(
                condition=Q(extension_months=0) | ~Q(extension_reason=""),
                name="dsar_ticket_extension_has_reason",
                violation_error_message="An extension needs a reason.",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="dsar_ticket_rejection_has_reason",
                violation_error_message="A rejection needs a reason.",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def compute_due_dates(self, calendar: DeadlineCalendar | None = None) -> None:
        """The statutory deadline and the one with any extension, from the receipt, where the
        controller is. Pass the controller's `calendar` when computing many tickets."""
        calendar = calendar or dsar_calendar_for(controller=self.controller)
        self.statutory_due_at = calendar.end(self.received_at, 1)
        self.due_at = calendar.end(self.received_at, 1 + self.extension_months)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Where the deadlines run: the controller's zone."""
        return self.controller.zone

    def clock(self, now: datetime | None = None) -> Clock:
        """The deadline (with any extension) at `now`: days left, overdue, due soon."""
        return clock(due_at=self.due_at, zone=self.zone, now=now)

    def extension_clock(self, now: datetime | None = None) -> Clock:
        """The first month: an extension is decided, and the data subject told of it, before its
        end (Art. 12(3))."""
        return clock(due_at=self.statutory_due_at, zone=self.zone, now=now)


class DsarPause(models.Model):
    """A stretch of time our clock stood still, waiting on the customer."""

    ticket = models.ForeignKey(DsarTicket, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(ended_at__isnull=True),
                name="dsar_pause_one_open_per_ticket",
            ),
        ]

    def __str__(self):
        return f"{self.ticket} paused {datetime_text(self.started_at)}"


class DsarPropagation(models.Model):
    """Whether an erasure, rectification or restriction reached one subprocessor (Art. 19)."""

    class Status(models.TextChoices):
        NOT_NEEDED = "not_needed", "Not needed"
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"

    ticket = models.ForeignKey(DsarTicket, on_delete=models.CASCADE, related_name="propagations")
    subprocessor = models.ForeignKey(
        "subprocessors.Subprocessor", on_delete=models.PROTECT, related_name="dsar_propagations"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["subprocessor__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "subprocessor"], name="dsar_propagation_unique_subprocessor"
            ),
        ]

    def __str__(self):
        return f"{self.ticket} → {self.subprocessor}"


class DsarTimelineEntry(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Internal note"
        REPLY = "reply", "Reply"
        STATUS = "status", "Status change"
        EXTENSION = "extension", "Extension"

    ticket = models.ForeignKey(DsarTicket, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(blank=True)
    visible_to_customer = models.BooleanField(default=False)
    from_status = models.CharField(max_length=20, choices=DsarTicket.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DsarTicket.Status.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["ticket", "created_at"], name="dsar_timeline_ticket")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="note") | Q(visible_to_customer=False),
                name="dsar_timeline_note_is_internal",
                violation_error_message="An internal note is never shown to the customer.",
            ),
        ]

    def __str__(self):
        return f"{self.ticket}: {self.get_kind_display()}"


class DsarAttachment(models.Model):
    ticket = models.ForeignKey(DsarTicket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    visible_to_customer = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        # Not the file's name: a name may carry personal data, and this text is what the audit
        # trail and the admin's log keep of the row, where an erasure cannot reach it.
        return f"Attachment {self.pk}" if self.pk else "New attachment"
