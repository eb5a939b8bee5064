from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from apps.core.dates import datetime_text
from apps.core.models import TimeStampedModel

# How far ahead staff are warned: a DPA to renew, an announced change about to take effect.
DPA_EXPIRY_WARNING_DAYS = 60
CHANGE_EFFECT_WARNING_DAYS = 30


class SubprocessorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Subprocessor.Status.ACTIVE)

    def dpa_expiring(self, on=None, days: int = DPA_EXPIRY_WARNING_DAYS):
        """Active, and the DPA expires within `days` of the day `on` (today), or has expired."""
        on = on or timezone.localdate()
        return self.active().filter(dpa_expires_on__lte=on + timedelta(days=days))


class SubprocessorChangeQuerySet(models.QuerySet):
    def effective_soon(self, at=None, days: int = CHANGE_EFFECT_WARNING_DAYS):
        """Announced, not cancelled, and taking effect within `days`."""
        at = at or timezone.now()
        return self.filter(
            status=SubprocessorChange.Status.ANNOUNCED,
            effective_at__gte=at,
            effective_at__lt=at + timedelta(days=days),
        )


class Subprocessor(TimeStampedModel):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=150, unique=True)
    legal_entity = models.CharField(max_length=200)
    service = models.TextField(help_text="The service it provides and the purpose of processing.")
    data_categories = models.ManyToManyField(
        "data_categories.DataCategory", blank=True, related_name="subprocessors"
    )
    processing_locations = CountryField(
        multiple=True, blank=True, help_text="Countries where it processes the data."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    engaged_on = models.DateField(null=True, blank=True)
    retired_on = models.DateField(null=True, blank=True)
    dpa_signed_on = models.DateField("DPA signed on", null=True, blank=True)
    dpa_expires_on = models.DateField("DPA expires on", null=True, blank=True)
    certifications = models.CharField(
        max_length=300, blank=True, help_text="For example ISO 27001, SOC 2 Type II."
    )
    website = models.URLField(blank=True)

    history = HistoricalRecords(m2m_fields=[data_categories])
    objects = SubprocessorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(retired_on__isnull=True)
                | Q(engaged_on__isnull=True)
                | Q(retired_on__gte=F("engaged_on")),
                name="subprocessor_retired_after_engaged",
                violation_error_message="The retirement date cannot be before the engagement date.",
            ),
            models.CheckConstraint(
                condition=Q(dpa_expires_on__isnull=True)
                | Q(dpa_signed_on__isnull=True)
                | Q(dpa_expires_on__gt=F("dpa_signed_on")),
                name="subprocessor_dpa_expires_after_signed",
                violation_error_message="The DPA must expire after it was signed.",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(engaged_on__isnull=False),
                name="subprocessor_active_has_engaged_on",
                violation_error_message="An active subprocessor needs the date it was engaged.",
            ),
            models.CheckConstraint(
                condition=~Q(status="retired") | Q(retired_on__isnull=False),
                name="subprocessor_retired_has_retired_on",
                violation_error_message="A retired subprocessor needs the date it was retired.",
            ),
        ]

    def __str__(self):
        return self.name


class Transfer(TimeStampedModel):
    """A transfer of personal data by a subprocessor outside the EEA, with its safeguard."""

    class Mechanism(models.TextChoices):
        ADEQUACY = "adequacy", "Adequacy decision (Art. 45)"
        SCCS = "sccs", "Standard contractual clauses (Art. 46(2)(c))"
        BCRS = "bcrs", "Binding corporate rules (Art. 47)"
        DEROGATION = "derogation", "Derogation for a specific situation (Art. 49)"
        OTHER = "other", "Other safeguard"

    class SccModule(models.TextChoices):
        C2C = "1", "Module 1: controller to controller"
        C2P = "2", "Module 2: controller to processor"
        P2P = "3", "Module 3: processor to processor"
        P2C = "4", "Module 4: processor to controller"

    subprocessor = models.ForeignKey(
        Subprocessor, on_delete=models.CASCADE, related_name="transfers"
    )
    destination_country = CountryField()
    mechanism = models.CharField(max_length=20, choices=Mechanism.choices)
    scc_module = models.CharField("SCC module", max_length=1, choices=SccModule.choices, blank=True)
    document_reference = models.CharField(
        max_length=300, blank=True, help_text="Where the signed clauses or decision can be found."
    )
    tia_completed_on = models.DateField("transfer impact assessment on", null=True, blank=True)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["subprocessor__name", "destination_country"]
        constraints = [
            models.UniqueConstraint(
                fields=["subprocessor", "destination_country"],
                name="transfer_unique_destination",
                violation_error_message="This subprocessor already has a transfer to that country.",
            ),
            models.CheckConstraint(
                condition=~Q(mechanism="sccs") | ~Q(scc_module=""),
                name="transfer_sccs_need_module",
                violation_error_message="Standard contractual clauses need their module.",
            ),
            models.CheckConstraint(
                condition=Q(mechanism="sccs") | Q(scc_module=""),
                name="transfer_module_only_for_sccs",
                violation_error_message="An SCC module applies only to standard contractual clauses.",
            ),
        ]

    def __str__(self):
        return f"{self.subprocessor} → {self.destination_country.name} ({self.get_mechanism_display()})"


class SubprocessorChange(TimeStampedModel):
    """An announced addition, replacement or removal of a subprocessor (DPA clause 5)."""

    class Kind(models.TextChoices):
        ADD = "add", "Addition"
        REPLACE = "replace", "Replacement"
        REMOVE = "remove", "Removal"

    class Status(models.TextChoices):
        ANNOUNCED = "announced", "Announced"
        EFFECTIVE = "effective", "In effect"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    subprocessor = models.ForeignKey(
        Subprocessor,
        on_delete=models.PROTECT,
        related_name="changes",
        help_text="The subprocessor added or removed; for a replacement, the new one.",
    )
    replaces = models.ForeignKey(
        Subprocessor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by_changes",
        help_text="For a replacement: the subprocessor that leaves.",
    )
    description = models.TextField(help_text="What changes and why, as customers will read it.")
    announced_at = models.DateTimeField()
    effective_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ANNOUNCED)

    history = HistoricalRecords()
    objects = SubprocessorChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-announced_at"]
        indexes = [models.Index(fields=["status", "effective_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_at__gt=F("announced_at")),
                name="subprocessorchange_effective_after_announced",
                violation_error_message="The change must take effect after it is announced.",
            ),
            models.CheckConstraint(
                condition=Q(kind="replace", replaces__isnull=False)
                | (~Q(kind="replace") & Q(replaces__isnull=True)),
                name="subprocessorchange_replaces_only_for_replacement",
                violation_error_message=(
                    "A replacement names the subprocessor it replaces; other changes name none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(replaces=F("subprocessor")),
                name="subprocessorchange_replaces_another",
                violation_error_message="A subprocessor cannot replace itself.",
            ),
        ]

    def __str__(self):
        on = date_format(timezone.localdate(self.effective_at), "DATE_FORMAT")
        return f"{self.get_kind_display()} of {self.subprocessor} on {on}"

    def clean(self):
        super().clean()
        if self.announced_at and self.effective_at:
            notice = timedelta(days=settings.SUBPROCESSOR_NOTICE_DAYS)
            if self.effective_at < self.announced_at + notice:
                raise ValidationError(
                    {
                        "effective_at": (
                            f"The change can take effect no sooner than "
                            f"{settings.SUBPROCESSOR_NOTICE_DAYS} days after it is announced "
                            f"(on or after {datetime_text(self.announced_at + notice)})."
                        )
                    }
                )


class Objection(TimeStampedModel):
    """A controller's objection to an announced subprocessor change."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved with the customer"
        UPHELD = "upheld", "Upheld"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Consequence(models.TextChoices):
        NOT_USED = "not_used", "The subprocessor is not used for this customer"
        TERMINATION = "termination", "The customer may end the agreement"

    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.CASCADE, related_name="objections"
    )
    change = models.ForeignKey(
        SubprocessorChange, on_delete=models.CASCADE, related_name="objections"
    )
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # What an upheld objection changes, as DPA clause 5 allows: the subprocessor is not used for
    # this customer, or the customer may end the agreement (from `termination_on`).
    consequence = models.CharField(
        "consequence of upholding", max_length=20, choices=Consequence.choices, blank=True
    )
    termination_on = models.DateField(
        "the customer may end the agreement on",
        null=True,
        blank=True,
        help_text="Only when the customer may end the agreement: the date from which it may.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["controller", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="upheld", consequence__in=["not_used", "termination"])
                | (~Q(status="upheld") & Q(consequence="")),
                name="objection_upheld_has_consequence",
                violation_error_message=(
                    "An upheld objection records its consequence; no other outcome has one."
                ),
            ),
            models.CheckConstraint(
                condition=Q(consequence="termination", termination_on__isnull=False)
                | (~Q(consequence="termination") & Q(termination_on__isnull=True)),
                name="objection_termination_has_date",
                violation_error_message=(
                    "The right to end the agreement needs its date; no other consequence has one."
                ),
            ),
            models.UniqueConstraint(
                fields=["controller", "change"],
                name="objection_one_per_controller_and_change",
                violation_error_message="This controller has already objected to this change.",
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="objection_resolved_at_matches_status",
                violation_error_message="A closed objection needs the time it was resolved.",
            ),
        ]

    def __str__(self):
        return f"{self.controller} objects to {self.change}"

    @property
    def excludes_subprocessor(self) -> bool:
        """Upheld with the consequence that the change's subprocessor is not used for this
        customer."""
        return self.status == self.Status.UPHELD and self.consequence == self.Consequence.NOT_USED

    @property
    def consequence_text(self) -> str:
        """What upholding changed, in the customer's words: the e-mail, the portal and the
        record of processing say the same."""
        if self.consequence == self.Consequence.NOT_USED:
            return (
                f"{self.change.subprocessor.name} is not used to process personal data on "
                f"behalf of {self.controller}."
            )
        if self.consequence == self.Consequence.TERMINATION and self.termination_on:
            on = date_format(self.termination_on, "DATE_FORMAT")
            return f"{self.controller} may end the agreement from {on}."
        return ""
