import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from apps.core.legaltime import (
    country_time_zone,
    validate_holiday_subdivision,
    validate_time_zone,
    zone_named,
)
from apps.core.models import PartyContact, TimeStampedModel

# Words that mark a value as a placeholder rather than the thing the record must name.
PLACEHOLDER_MARKS = ("on request", "to be confirmed")
# Where a party needs no representative in the Union (Art. 27): the EU and the EEA.
EEA_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)


class ControllerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Controller.Status.ACTIVE)

    def record_incomplete(self):
        """Controllers whose own part of the record has a gap the database can see: a
        placeholder or missing EU representative, or no DPO. The full check of one record
        (apps.processors.selectors.record_gaps) also reads the address, the processor and the
        subprocessors."""
        placeholder = Q()
        for mark in PLACEHOLDER_MARKS:
            placeholder |= Q(eu_representative__icontains=mark)
        no_representative = Q(eu_representative="") & ~Q(country__in=EEA_COUNTRIES)
        no_dpo = Q(dpo_name="", dpo_email="")
        return self.filter(placeholder | no_representative | no_dpo)


class Controller(TimeStampedModel, PartyContact):
    """A customer: the controller on whose behalf we process its end users' personal data."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        TERMINATED = "terminated", "Terminated"

    legal_name = models.CharField(max_length=200, unique=True)
    registration_number = models.CharField("registration no.", max_length=100, blank=True)
    eu_representative = models.TextField(
        "EU representative (Art. 27)",
        blank=True,
        help_text="Name and contact details, where the controller is established outside the EU.",
    )
    dpa_version = models.CharField("DPA version", max_length=50)
    dpa_accepted_on = models.DateField("DPA accepted on", null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    terminated_on = models.DateField(null=True, blank=True)
    require_admin_two_factor = models.BooleanField(
        "admins must use two-factor authentication",
        default=False,
        help_text="The customer's portal admins then sign in with a code from an authenticator.",
    )
    # Where its deadlines run: a day ends at midnight here, and this region's public holidays
    # do not count as working days (apps.core.legaltime).
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA name, such as Europe/Berlin. Empty: the main time zone of the country. "
        "Its deadlines end at midnight here, and its customer users read times in it.",
    )
    holiday_subdivision = models.CharField(
        "region for public holidays",
        max_length=10,
        blank=True,
        help_text="A state or region code whose public holidays count too, such as BY (Bavaria) "
        "or ENG (England). Empty: the country's nationwide holidays.",
    )

    history = HistoricalRecords()
    objects = ControllerQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name"]
        indexes = [models.Index(fields=["status", "legal_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", terminated_on__isnull=True)
                | Q(status="terminated", terminated_on__isnull=False),
                name="controller_terminated_on_matches_status",
                violation_error_message=(
                    "A terminated controller needs a termination date, and an active one has none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(terminated_on__isnull=True)
                | Q(dpa_accepted_on__isnull=True)
                | Q(terminated_on__gte=models.F("dpa_accepted_on")),
                name="controller_terminated_after_dpa_accepted",
                violation_error_message=(
                    "The termination date cannot be before the DPA was accepted."
                ),
            ),
        ]

    def __str__(self):
        return self.legal_name

    def clean(self):
        super().clean()
        try:
            validate_holiday_subdivision(str(self.country), self.holiday_subdivision)
        except ValidationError as error:
            raise ValidationError({"holiday_subdivision": error}) from error

    @property
    def time_zone_name(self) -> str:
        """The zone set, else the main zone of the country."""
        return self.time_zone or country_time_zone(str(self.country))

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zone_named(self.time_zone_name)


class NonWorkingDay(TimeStampedModel):
    """A day that deadlines do not end on, besides weekends and the public holidays the holidays
    package knows: a holiday it lacks, or a day declared non-working. Privacy Officers keep
    them; the deadline of a request moves past them as past a public holiday."""

    day = models.DateField()
    name = models.CharField(max_length=200, help_text="Shown where a deadline moved past it.")
    country = CountryField(
        blank=True, help_text="Where the day is not worked. Empty: for every controller."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["day", "country"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "country"],
                name="non_working_day_unique_day_country",
                violation_error_message="This day is already a non-working day there.",
            ),
        ]

    def __str__(self):
        where = self.country.name if self.country else "every country"
        return f"{self.day:%Y-%m-%d} {self.name} ({where})"


class MembershipQuerySet(models.QuerySet):
    def current(self, at=None):
        """Memberships that give access now: an expired one gives none."""
        at = at or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))


class Membership(TimeStampedModel):
    """Ties a customer user to a controller with a portal role."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"
        AUDITOR = "auditor", "Auditor (read-only)"

    # Roles that may change the controller's data, in the portal and in every service a
    # customer's write goes through; auditors only read.
    WRITE_ROLES = frozenset({Role.ADMIN, Role.MEMBER})

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    controller = models.ForeignKey(Controller, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    expires_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["controller__legal_name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "controller"],
                name="membership_unique_user_controller",
                violation_error_message="This person is already a member of this controller.",
            ),
            models.CheckConstraint(
                condition=~Q(role="auditor") | Q(expires_at__isnull=False),
                name="membership_auditor_expires",
                violation_error_message="An auditor's access needs an expiry date.",
            ),
        ]

    def __str__(self):
        return f"{self.user} at {self.controller} ({self.get_role_display()})"

    @property
    def is_current(self) -> bool:
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def can_write(self) -> bool:
        """Whether the role may change the controller's data (the membership's window aside)."""
        return self.role in self.WRITE_ROLES
