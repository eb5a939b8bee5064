from django.db import models
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PartyContact(models.Model):
    """Where a party to the processing is and whom to contact (Art. 30(1)(a) and 30(2)(a)): the
    fields a controller and the processor share. Their representative stays on each model, as
    its help text speaks of the one or the other."""

    address = models.TextField()
    country = CountryField()
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    dpo_name = models.CharField("DPO name", max_length=200, blank=True)
    dpo_email = models.EmailField("DPO email", blank=True)

    class Meta:
        abstract = True


class ReferenceCounter(models.Model):
    """The last number handed out for a readable reference (DSAR-2026-0001, INC-2026-0001).

    One row per prefix and year, locked while a number is taken and never decremented, so a
    number is never handed out twice, even after the record that carried it is deleted.
    """

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="reference_counter_unique"),
        ]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last_number}"
