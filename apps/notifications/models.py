from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel
from apps.notifications.fields import EncryptedTextField


class NotificationQuerySet(models.QuerySet):
    def due(self, at=None):
        return self.filter(
            status=Notification.Status.PENDING, next_attempt_at__lte=at or timezone.now()
        )


class Notification(TimeStampedModel):
    """One email to one recipient, kept until it is sent (the outbox).

    A message is written in the same transaction as the change it reports, and sent after that
    transaction commits; if the mail server refuses, it is retried with growing pauses and, after
    the last attempt, shown as failed in the admin. Nothing that must reach a person is sent
    any other way.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=60, help_text="What the message is about, e.g. dsar.reply.")
    recipient = models.EmailField()
    subject = models.CharField(max_length=250)
    # Stored encrypted (fields.py): a link in it is read by the sender and its recipient only.
    body = EncryptedTextField()
    sensitive = models.BooleanField(
        default=False,
        help_text="Carries a sign-in or set-password link: hidden from staff, erased once sent.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Makes a message idempotent: a second enqueue with the same key is dropped (reminders once
    # per threshold, one notice per controller and update).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    related_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    related_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    # Bodies stay out of the trail: some carry one-time links, and the row itself keeps the text.
    history = HistoricalRecords(excluded_fields=["body"])
    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["related_type", "related_id"]),
            # The admin's outbox, newest first, whole or by status or kind.
            models.Index(fields=["-created_at", "-id"], name="notification_newest"),
            models.Index(
                fields=["status", "-created_at", "-id"], name="notification_status_newest"
            ),
            models.Index(fields=["kind", "-created_at", "-id"], name="notification_kind_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="notification_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.recipient}"
