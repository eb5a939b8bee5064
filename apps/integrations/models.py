"""How customers' own systems connect: API tokens, and the webhook endpoints we post events to.

- An `ApiToken` is a bearer secret for the REST API (apps/api). An organisation token belongs to
  one controller and acts as the customer admin who created it; a personal token belongs to one
  staff member and carries that member's role. Only a hash of the secret is kept.
- A `WebhookEndpoint` is a URL of the customer's where we post the events it picked, signed as
  Standard Webhooks specifies with a secret of the endpoint's.
- A `WebhookMessage` is one event for one endpoint, with the id the receiver deduplicates on.
  Its deliveries are outbox messages on the "webhook" channel (apps.notifications), so the
  claim, retry and back-off machinery is the e-mail's; each try is a `WebhookAttempt` with the
  receiver's response code.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.dates import datetime_text
from apps.core.models import TimeStampedModel
from apps.notifications.fields import EncryptedTextField


class ApiTokenQuerySet(models.QuerySet):
    def for_controller(self, controller):
        """The only way the portal reaches tokens: one organisation's, nobody else's."""
        return self.filter(controller=controller)

    def personal(self):
        return self.filter(controller__isnull=True)


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “Help desk”.")
    controller = models.ForeignKey(
        "controllers.Controller",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="The organisation an organisation token acts for; empty for a staff member's "
        "personal token.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="An organisation token acts as the admin who created it, and stops working "
        "when that person no longer administers the organisation. A personal token acts as "
        "its staff member, with that member's role.",
    )
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.READ)
    includes_history = models.BooleanField(
        "includes the change history",
        default=False,
        help_text="May read the change history of the organisation's records.",
    )
    # The public part of the token, shown in lists and used to find the row; the secret part is
    # kept only as a hash (sha256 of the whole token: 256 random bits need no slow hash).
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    # No hash of a secret in the trail people read.
    history = HistoricalRecords(excluded_fields=["secret_hash"])
    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"
        indexes = [
            models.Index(fields=["controller", "-created_at", "-id"], name="api_token_controller"),
            models.Index(fields=["user", "-created_at", "-id"], name="api_token_user"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_created",
                violation_error_message="A token must expire after it is created.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.display_prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"ropa_{self.prefix}"

    @property
    def is_personal(self) -> bool:
        return self.controller_id is None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE

    def state(self, at=None) -> str:
        """ "active", "expired" or "revoked", as lists show it."""
        at = at or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= at:
            return "expired"
        return "active"


class WebhookEvent(models.TextChoices):
    """The events a customer may subscribe an endpoint to; the value is the payload's `type`."""

    REQUEST_STATUS_CHANGED = "request.status_changed", "A data-subject request changed status"
    REQUEST_REPLY_ADDED = "request.reply_added", "A reply was added to a data-subject request"
    BREACH_NOTIFIED = "breach.notified", "We notified you of a breach"
    BREACH_UPDATE = "breach.update", "We sent an update on a breach"
    SUBPROCESSOR_CHANGE_ANNOUNCED = (
        "subprocessor.change_announced",
        "A subprocessor change was announced",
    )
    SUBPROCESSOR_CHANGE_EFFECTIVE = (
        "subprocessor.change_effective",
        "A subprocessor change took effect",
    )
    OBJECTION_ANSWERED = "objection.answered", "Your objection was answered"


class WebhookEndpointQuerySet(models.QuerySet):
    def for_controller(self, controller):
        return self.filter(controller=controller)


class WebhookEndpoint(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The event types posted here.")
    # Signs every delivery (Standard Webhooks, "whsec_" + base64). Kept encrypted at rest, as the
    # outbox bodies are: signing needs the secret itself, not a hash.
    secret = EncryptedTextField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["secret"])
    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["controller", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", paused_at__isnull=True)
                | Q(status="paused", paused_at__isnull=False),
                name="webhook_endpoint_paused_at_matches_status",
                violation_error_message="A paused endpoint records when it was paused.",
            ),
        ]

    def __str__(self):
        return self.url

    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels.get(e, e)) for e in self.events]


class WebhookMessageQuerySet(models.QuerySet):
    def for_controller(self, controller):
        return self.filter(endpoint__controller=controller)


class WebhookMessage(models.Model):
    """One event for one endpoint. A replay sends it again under the same id."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    # The Standard Webhooks `webhook-id`: the same on every retry and replay.
    message_id = models.CharField(max_length=40, unique=True, editable=False)
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # The JSON body exactly as it is signed and posted; encrypted at rest (it may quote a reply).
    payload = EncryptedTextField()

    history = HistoricalRecords(excluded_fields=["payload"])
    objects = WebhookMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_message_newest")
        ]

    def __str__(self):
        return f"{self.event_type} {self.message_id}"


class WebhookAttempt(models.Model):
    """One try at posting a message: what the receiver answered, or why nothing came back."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempts")
    # Denormalised from the message: an endpoint's recent attempts decide whether it is paused.
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    # The outbox message (delivery) this try belongs to: a replay is another delivery.
    delivery_id = models.BigIntegerField()
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["attempted_at", "pk"]
        indexes = [
            models.Index(fields=["endpoint", "-attempted_at"], name="webhook_attempt_endpoint"),
            models.Index(fields=["message", "attempted_at"], name="webhook_attempt_message"),
        ]

    def __str__(self):
        outcome = self.status_code or self.error or "no answer"
        return f"{self.message} at {datetime_text(self.attempted_at)}: {outcome}"
