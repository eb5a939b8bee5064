from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel
from apps.notifications.fields import EncryptedTextField


class NotificationQuerySet(models.QuerySet):
    def due(self, at=None):
        """Waiting, due, and in no sender's hands (never claimed, or its claim expired)."""
        at = at or timezone.now()
        return self.filter(status=Notification.Status.PENDING, next_attempt_at__lte=at).filter(
            models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lte=at)
        )


class Notification(TimeStampedModel):
    """One message to one recipient over one channel, kept until it is delivered (the outbox).

    A delivery is generic: a channel (the transport that carries it: e-mail today; a signed
    webhook is another transport, transports.py), a recipient (an address, or a webhook's URL),
    a payload (a subject line and a body, the body encrypted at rest) and its attempts. A
    request only records messages, in the same transaction as the change they report; a worker
    sends them after the commit (services.py): it claims due rows for a short while, sends
    outside any transaction with a timeout, and records the outcome if its claim still holds.
    A refused or unanswered attempt is retried with growing pauses and, after the last one,
    shown as failed in the admin. Nothing that must reach a person is sent any other way.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Queued"
        SENT = "sent", "Delivered"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=60, help_text="What the message is about, e.g. dsar.reply.")
    channel = models.CharField(
        max_length=30, default="email", help_text="The transport that delivers it, e.g. email."
    )
    recipient = models.CharField(
        max_length=500, help_text="Where it goes: an e-mail address, or a webhook's URL."
    )
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
    # A sender's claim: the token it drew and until when the row is its own. A sender stopped
    # mid-send leaves a claim that expires; the next run then takes the message again.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True)
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
    # The channel (never changed) and the claim (a sender's bookkeeping) stay on the row too:
    # each claim, renewal and outcome still writes a history row with its reason, and the
    # history table keeps the columns that the trail sealed its existing rows with.
    history = HistoricalRecords(excluded_fields=["body", "channel", "claim_token", "claimed_until"])
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
            # A claim is a token and its expiry, or neither.
            models.CheckConstraint(
                condition=models.Q(claim_token__isnull=True, claimed_until__isnull=True)
                | models.Q(claim_token__isnull=False, claimed_until__isnull=False),
                name="notification_claim_whole",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.recipient}"

    def is_claimed(self, at=None) -> bool:
        return self.claimed_until is not None and self.claimed_until > (at or timezone.now())
