"""Calendar helpers shared by every app."""

import datetime

from django.utils import timezone


def start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
