"""Calendar helpers shared by every app."""

import datetime

from django.utils import formats, timezone


def start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def datetime_text(moment: datetime.datetime | None) -> str:
    """A date-time as every page writes it, in the reader's zone (the active one) with the zone
    named: "14 Mar 2026, 23:59 CET" (DATETIME_FORMAT, config/formats/en_GB); "" for none, as
    the `date` filter writes."""
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
