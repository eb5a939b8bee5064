"""The trail: one chained entry per history row of every model, and the record of scrubs.

The entries themselves carry no history (they are the history of the history); the database
refuses to update or delete them on PostgreSQL (see guards.py).
"""

from django.conf import settings
from django.db import models

from apps.core.dates import datetime_text

# The model whose rows say which customer a record belongs to. Named, not imported: the trail
# sits below the domain apps and knows them only by label.
TENANT_MODEL = "controllers.Controller"

GENESIS_HASH = "0" * 64


class Door(models.TextChoices):
    ADMIN = "admin", "Admin"
    PORTAL = "portal", "Portal"
    API = "api", "API"
    COMMAND = "command", "Command or job"


class TrailEntryQuerySet(models.QuerySet):
    def for_controller(self, controller):
        return self.filter(controller_id=getattr(controller, "pk", controller))

    def newest_first(self):
        return self.order_by("-history_date", "-seq")


class SealedRow(models.Model):
    """What the trail says of one history row: what, who, when, through which door, whose.

    Every one of these fields is inside the keyed hash, so none can be rewritten unseen.
    content_hash is the sha256 of the history row's canonical JSON (every field, history_id,
    date, type, user and change reason included, plus its many-to-many rows).
    """

    history_model = models.CharField(max_length=150, help_text="Label of the history model.")
    history_id = models.BigIntegerField()
    object_model = models.CharField(max_length=150, help_text="Label of the tracked model.")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    history_type = models.CharField(
        max_length=1, choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")]
    )
    history_date = models.DateTimeField()
    # No database constraint and no cascade: the trail keeps who acted even if the account goes.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    user_repr = models.CharField(max_length=254, blank=True)
    door = models.CharField(max_length=10, choices=Door.choices)
    change_reason = models.TextField(blank=True)
    controller = models.ForeignKey(
        TENANT_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="The controller the row belongs to, when it belongs to one.",
    )
    content_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=20, help_text="The chain key that signed this.")

    # The fields above, in the order they are hashed (see apps/trail/chain.py).
    SEALED_FIELDS = (
        "history_model",
        "history_id",
        "object_model",
        "object_id",
        "object_repr",
        "history_type",
        "history_date",
        "user_id",
        "user_repr",
        "door",
        "change_reason",
        "controller_id",
        "content_hash",
    )

    class Meta:
        abstract = True


class TrailEntry(SealedRow):
    """One history row sealed into the chain, linked to the entry before it.

    row_hash = HMAC-SHA256 under the key `key_id` of the canonical JSON of {seq, prev_hash,
    key_id and every SealedRow field} (apps/trail/chain.py); without the key nobody can alter,
    insert, remove or re-chain an entry so that `verify_audit_trail` passes.
    """

    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = TrailEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "trail entry"
        verbose_name_plural = "audit trail"
        # Nobody adds, changes or deletes entries through Django; reading is the one grant.
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["history_model", "history_id"], name="trail_entry_one_per_history_row"
            ),
        ]
        indexes = [
            # The trail's keyset pagination, newest first, and its scoped variants.
            models.Index(fields=["-history_date", "-seq"], name="trail_date_seq"),
            models.Index(
                fields=["controller", "-history_date", "-seq"], name="trail_controller_date"
            ),
            models.Index(
                fields=["object_model", "object_id", "-history_date", "-seq"],
                name="trail_object_date",
            ),
            models.Index(fields=["user", "-history_date", "-seq"], name="trail_user_date"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.object_model} {self.object_repr} ({self.history_type})"


class TrailMark(SealedRow):
    """The application's keyed mark on a history row it has just written, waiting to be chained.

    Written in the same transaction as the history row, with no lock, so one customer's change
    never waits for another's transaction. After commit the sealer (`trail_seal_pending`)
    checks each mark's MAC, chains it as a TrailEntry and deletes the mark. A history row with
    neither an entry nor a valid mark was written outside the application.
    """

    mark = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["history_model", "history_id"], name="trail_mark_one_per_history_row"
            ),
        ]

    def __str__(self):
        return f"Mark of {self.history_model} {self.history_id}"


class TrailScrub(models.Model):
    """Personal data erased from a history row: the chain keeps that it happened, by whom, when."""

    entry = models.ForeignKey(TrailEntry, on_delete=models.PROTECT, related_name="scrubs")
    fields = models.JSONField(help_text="Names of the fields that were scrubbed.")
    reason = models.CharField(max_length=300)
    scrubbed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    scrubbed_at = models.DateTimeField(auto_now_add=True)
    before_content_hash = models.CharField(max_length=64)
    after_content_hash = models.CharField(max_length=64)

    class Meta:
        default_permissions = ("view",)
        ordering = ["id"]

    def __str__(self):
        return f"Scrub of {self.entry} at {datetime_text(self.scrubbed_at)}"
