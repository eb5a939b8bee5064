"""Personal-data breach incidents (DPA clause 8, GDPR Art. 33(2)-(4)).

An incident records every Art. 33(3) item as its own field, so that each affected controller
receives what it needs for its own notification to the supervisory authority. The affected
controllers are the incident's BreachNotification rows: one per controller, sent or not yet.
"""

from datetime import datetime, timedelta, tzinfo

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.legaltime import Clock, clock
from apps.core.models import TimeStampedModel

# Art. 33(1): the controller notifies its supervisory authority within 72 hours of becoming
# aware; for the controller that starts when we tell it. Law, not configuration.
CONTROLLER_WINDOW = timedelta(hours=72)


def notify_target_delta() -> timedelta:
    return timedelta(hours=settings.BREACH_NOTIFY_TARGET_HOURS)


class BreachIncidentQuerySet(models.QuerySet):
    def for_controller(self, controller):
        """Incidents this controller has been notified of: what its portal may show."""
        notified = BreachNotification.objects.filter(
            controller=controller, sent_at__isnull=False
        ).values("incident_id")
        return self.filter(pk__in=notified)

    def with_clocks(self):
        """Annotate counts and the first notification time, for lists without per-row queries.

        Correlated subqueries rather than a GROUP BY over the join: the database then computes
        them for the page's rows only, not for every incident before it can sort and cut.
        """
        notices = BreachNotification.objects.filter(incident=OuterRef("pk")).order_by()
        sent = notices.filter(sent_at__isnull=False)

        def count(queryset):
            counted = queryset.values("incident").annotate(n=Count("pk")).values("n")
            return Coalesce(Subquery(counted), 0)

        return self.annotate(
            affected_count=count(notices),
            notified_count=count(sent),
            first_notified_at=Subquery(sent.order_by("sent_at").values("sent_at")[:1]),
        )

    def overdue(self, at=None):
        """Our notification target has passed and some controller still waits for our notice.

        An incident whose affected controllers are not yet confirmed is overdue as well: nobody
        knows yet who must be told, which is worse than a known one left untold.
        """
        at = at or timezone.now()
        unnotified = BreachNotification.objects.filter(sent_at__isnull=True).values("incident_id")
        return self.filter(became_aware_at__lte=at - notify_target_delta()).filter(
            Q(controllers_confirmed_at__isnull=True) | Q(pk__in=unnotified)
        )

    def notice_owed(self):
        """Our notification target's clock still runs: not closed, and the affected controllers
        not yet confirmed or one of them not yet notified."""
        unnotified = BreachNotification.objects.filter(sent_at__isnull=True).values("incident_id")
        return self.exclude(status=BreachIncident.Status.CLOSED).filter(
            Q(controllers_confirmed_at__isnull=True) | Q(pk__in=unnotified)
        )


class BreachNotificationQuerySet(models.QuerySet):
    def window_running(self, at=None):
        """Sent, and the controller's own 72 hours since our notice not over yet."""
        at = at or timezone.now()
        return self.filter(sent_at__gt=at - CONTROLLER_WINDOW)

    def unacknowledged(self):
        return self.filter(sent_at__isnull=False, acknowledged_at__isnull=True)


class BreachIncident(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONTAINED = "contained", "Contained"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class RiskLevel(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="What happened, as far as it is known.")
    occurred_from = models.DateTimeField()
    occurred_to = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty while the breach may still be going on."
    )
    became_aware_at = models.DateTimeField(
        help_text="When we became aware; our notification target runs from here."
    )
    # Art. 33(3)(a): the nature of the breach. Several may apply at once.
    nature_confidentiality = models.BooleanField(
        "confidentiality breach", default=False, help_text="Unauthorised disclosure or access."
    )
    nature_integrity = models.BooleanField(
        "integrity breach", default=False, help_text="Unauthorised or accidental alteration."
    )
    nature_availability = models.BooleanField(
        "availability breach", default=False, help_text="Loss of access or destruction."
    )
    data_categories = models.ManyToManyField(
        "data_categories.DataCategory",
        blank=True,
        related_name="breach_incidents",
        verbose_name="categories of personal data concerned",
    )
    data_subject_categories = models.ManyToManyField(
        "data_categories.DataSubjectCategory",
        blank=True,
        related_name="breach_incidents",
        verbose_name="categories of data subjects concerned",
    )
    approx_data_subjects = models.PositiveIntegerField(
        "approximate number of data subjects", null=True, blank=True, help_text="Empty: unknown."
    )
    approx_records = models.PositiveIntegerField(
        "approximate number of records", null=True, blank=True, help_text="Empty: unknown."
    )
    # Art. 33(3)(b)-(d).
    contact_point = models.TextField(
        help_text="Name and contact details of the DPO or other contact point for more information."
    )
    likely_consequences = models.TextField()
    measures_taken = models.TextField(
        help_text="Measures taken to address the breach and mitigate its possible adverse effects."
    )
    measures_proposed = models.TextField(blank=True, help_text="Measures still to be taken.")
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_breach_incidents",
        limit_choices_to={"is_staff": True},
        help_text="Receives the reminders before our notification target.",
    )
    # Where the breach happened; the affected controllers can be derived from these.
    affected_subprocessors = models.ManyToManyField(
        "subprocessors.Subprocessor", blank=True, related_name="breach_incidents"
    )
    affected_activities = models.ManyToManyField(
        "processors.ProcessingActivity",
        blank=True,
        related_name="breach_incidents",
        verbose_name="affected processing activities",
    )
    affected_controllers = models.ManyToManyField(
        "controllers.Controller",
        blank=True,
        related_name="breach_incidents",
        help_text="Choose them, or fill them in from the affected subprocessors and activities; "
        "then confirm.",
    )
    controllers_confirmed_at = models.DateTimeField(null=True, blank=True)
    controllers_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(
        m2m_fields=[
            data_categories,
            data_subject_categories,
            affected_subprocessors,
            affected_activities,
            affected_controllers,
        ]
    )
    objects = BreachIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-became_aware_at"]
        indexes = [
            models.Index(fields=["status", "became_aware_at"]),
            models.Index(fields=["-became_aware_at", "-id"], name="breach_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(nature_confidentiality=True)
                | Q(nature_integrity=True)
                | Q(nature_availability=True),
                name="breach_incident_has_a_nature",
                violation_error_message=(
                    "Tick at least one nature of the breach: confidentiality, integrity or "
                    "availability."
                ),
            ),
            models.CheckConstraint(
                condition=Q(approx_data_subjects__isnull=True) | Q(approx_data_subjects__gte=0),
                name="breach_incident_data_subjects_not_negative",
                violation_error_message="The number of data subjects cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(approx_records__isnull=True) | Q(approx_records__gte=0),
                name="breach_incident_records_not_negative",
                violation_error_message="The number of records cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(became_aware_at__gte=F("occurred_from")),
                name="breach_incident_aware_after_occurred",
                violation_error_message=(
                    "We cannot have become aware of the breach before it started: check "
                    "“became aware at” and “occurred from”."
                ),
            ),
            models.CheckConstraint(
                condition=Q(occurred_to__isnull=True) | Q(occurred_to__gte=F("occurred_from")),
                name="breach_incident_ends_after_it_starts",
                violation_error_message="The breach cannot end before it started.",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def nature_labels(self) -> list[str]:
        return [
            label
            for flag, label in (
                (self.nature_confidentiality, "confidentiality"),
                (self.nature_integrity, "integrity"),
                (self.nature_availability, "availability"),
            )
            if flag
        ]

    @property
    def notify_target_at(self):
        """Our own target to have notified every affected controller."""
        return self.became_aware_at + notify_target_delta()

    def target_clock(self, *, zone: tzinfo | None = None, now: datetime | None = None) -> Clock:
        """Our notification target at `now`, in hours; `zone` is the reader's (the current one
        by default), for the instant shown beside it."""
        return clock(
            due_at=self.notify_target_at, zone=zone or timezone.get_current_timezone(), now=now
        )


class BreachNotification(TimeStampedModel):
    """One affected controller of an incident, and whether and how we notified it."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PORTAL = "portal", "Portal"
        PHONE = "phone", "Phone"
        OTHER = "other", "Other"

    incident = models.ForeignKey(
        BreachIncident, on_delete=models.CASCADE, related_name="notifications"
    )
    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.PROTECT, related_name="breach_notifications"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = BreachNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["controller__legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "controller"],
                name="breach_notification_unique_incident_controller",
                violation_error_message="This controller is already affected by this incident.",
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | ~Q(channel=""),
                name="breach_notification_sent_has_channel",
                violation_error_message="A sent notification records its channel.",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(sent_at__isnull=False),
                name="breach_notification_acknowledged_after_sent",
                violation_error_message="Only a sent notification can be acknowledged.",
            ),
        ]

    def __str__(self):
        return f"{self.incident.reference} → {self.controller}"

    @property
    def controller_deadline_at(self):
        """End of the controller's own 72 hours, counted from our notice (None before it)."""
        return self.sent_at + CONTROLLER_WINDOW if self.sent_at else None

    def window_clock(
        self, *, zone: tzinfo | None = None, now: datetime | None = None
    ) -> Clock | None:
        """The controller's 72 hours at `now`, in hours (None before our notice)."""
        if self.controller_deadline_at is None:
            return None
        return clock(
            due_at=self.controller_deadline_at,
            zone=zone or timezone.get_current_timezone(),
            now=now,
        )


class BreachUpdate(models.Model):
    """Information given in phases (Art. 33(4)): one entry of the incident's timeline."""

    incident = models.ForeignKey(BreachIncident, on_delete=models.CASCADE, related_name="updates")
    phase = models.PositiveSmallIntegerField()
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["incident", "phase"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "phase"], name="breach_update_unique_phase"
            ),
        ]

    def __str__(self):
        return f"{self.incident.reference} update {self.phase}"


class BreachUpdateDelivery(models.Model):
    """That an update was sent to one controller: a second send to it is refused."""

    update = models.ForeignKey(BreachUpdate, on_delete=models.CASCADE, related_name="deliveries")
    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["update", "controller"],
                name="breach_update_delivery_once_per_controller",
                violation_error_message="This update was already sent to this controller.",
            ),
        ]

    def __str__(self):
        return f"{self.update} → {self.controller}"
