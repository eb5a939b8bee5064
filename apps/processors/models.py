from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import PartyContact, TimeStampedModel
from apps.processors.logo import logo_storage, logo_upload_to, validate_logo


class Processor(TimeStampedModel, PartyContact):
    """Our own legal entity, as named in the Art. 30(2)(a) record."""

    name = models.CharField(max_length=200, unique=True)
    representative = models.TextField(
        "EU representative (Art. 27)",
        blank=True,
        help_text="Name and contact details, where we are established outside the EU.",
    )
    logo = models.ImageField(
        upload_to=logo_upload_to,
        storage=logo_storage,
        blank=True,
        validators=[validate_logo],
        help_text="Heads the admin and the portal: a PNG, JPEG or WebP image of at most 256 KB "
        "and 1024 pixels a side.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SecurityMeasure(TimeStampedModel):
    """A technical or organisational measure (Art. 32) that protects the processing."""

    class Category(models.TextChoices):
        ENCRYPTION = "encryption", "Encryption"
        ACCESS_CONTROL = "access_control", "Access control"
        PSEUDONYMISATION = "pseudonymisation", "Pseudonymisation"
        RESILIENCE = "resilience", "Availability and resilience"
        HOSTING = "hosting", "Hosting and isolation"
        TESTING = "testing", "Regular testing and evaluation"
        ORGANISATIONAL = "organisational", "Organisational"

    name = models.CharField(max_length=200, unique=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    description = models.TextField()
    scope = models.CharField(
        max_length=300, blank=True, help_text="Systems or data the measure applies to."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_security_measures",
        limit_choices_to={"is_staff": True},
    )
    last_reviewed_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "name"]

    def __str__(self):
        return self.name


# How far ahead staff are warned that an activity's review is due.
REVIEW_WARNING_DAYS = 30


class ProcessingActivityQuerySet(models.QuerySet):
    def covering(self, controller):
        """The activities whose record applies to `controller`: shared ones and listed ones."""
        covered = self.filter(covers_all_controllers=False, controllers=controller).values("pk")
        return self.filter(Q(covers_all_controllers=True) | Q(pk__in=covered))

    def review_due(self, on=None, days: int = REVIEW_WARNING_DAYS):
        """Approved activities whose next review falls within `days` of `on` (today) or has
        passed."""
        on = on or timezone.localdate()
        return self.in_record().filter(next_review_on__lte=on + timedelta(days=days))

    def in_record(self):
        """Activities that belong in the record we show: approved, not drafts or retired ones."""
        return self.filter(status=ProcessingActivity.Status.APPROVED)


class ProcessingActivity(TimeStampedModel):
    """One entry of the Art. 30(2) record of processing carried out on behalf of controllers.

    Activities are shared: the record for one controller is the set of activities that cover it
    (all controllers, or a listed few), never a per-customer copy.
    """

    class Category(models.TextChoices):
        ROUTING = "routing", "Routing and transmission"
        STORAGE = "storage", "Storage"
        AUTHENTICATION = "authentication", "Authentication"
        MANAGEMENT = "management", "Data management (organisation, retrieval, erasure)"
        ANALYTICS = "analytics", "Analytics"
        COMMUNICATION = "communication", "Communication (email delivery)"
        BILLING = "billing", "Billing"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        RETIRED = "retired", "Retired"

    processor = models.ForeignKey(Processor, on_delete=models.PROTECT, related_name="activities")
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField()
    purpose = models.TextField()
    category = models.CharField("category of processing", max_length=30, choices=Category.choices)
    data_categories = models.ManyToManyField(
        "data_categories.DataCategory", related_name="activities"
    )
    data_subject_categories = models.ManyToManyField(
        "data_categories.DataSubjectCategory", related_name="activities"
    )
    subprocessors = models.ManyToManyField(
        "subprocessors.Subprocessor", blank=True, related_name="activities"
    )
    security_measures = models.ManyToManyField(
        SecurityMeasure, blank=True, related_name="activities"
    )
    retention = models.TextField("retention and erasure rule")
    instruction = models.TextField(
        "documented instruction",
        help_text="The controller's instruction this processing rests on (e.g. DPA clause 2).",
    )
    covers_all_controllers = models.BooleanField(
        default=True, help_text="Untick to list the controllers this activity covers."
    )
    controllers = models.ManyToManyField(
        "controllers.Controller",
        blank=True,
        related_name="listed_activities",
        help_text="Only when the activity does not cover every controller.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_activities",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords(
        m2m_fields=[
            data_categories,
            data_subject_categories,
            subprocessors,
            security_measures,
            controllers,
        ]
    )
    objects = ProcessingActivityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "processing activities"
        indexes = [models.Index(fields=["status", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="activity_approved_has_approver",
                violation_error_message="An approved activity records who approved it and when.",
            ),
        ]

    def __str__(self):
        return self.name
