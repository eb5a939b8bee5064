from django.db import models
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel


class DataCategory(TimeStampedModel):
    """A category of personal data we process (e.g. email addresses, IP addresses)."""

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    is_special_category = models.BooleanField(
        "special category (Art. 9)",
        default=False,
        help_text="Health, biometric, religious, political, sexual orientation and the like.",
    )
    is_criminal_data = models.BooleanField(
        "criminal convictions and offences (Art. 10)", default=False
    )
    retention = models.TextField(
        blank=True, help_text="How long this data is kept and what ends it."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "data categories"

    def __str__(self):
        return self.name


class DataSubjectCategory(TimeStampedModel):
    """A category of people whose data we process (e.g. end users of the customer's app)."""

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "data-subject categories"

    def __str__(self):
        return self.name
