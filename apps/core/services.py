from django.db import transaction

from apps.core.history import history_save
from apps.core.models import ReferenceCounter


@transaction.atomic
def reference_next(*, prefix: str, year: int) -> str:
    """The next readable reference of the year, e.g. DSAR-2026-0001.

    get_or_create survives a concurrent first number of the year; the row lock then serialises
    everyone taking a number.
    """
    ReferenceCounter.objects.get_or_create(prefix=prefix, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(prefix=prefix, year=year)
    counter.last_number += 1
    history_save(counter, by=None, reason="core.reference.taken", update_fields=["last_number"])
    return f"{prefix}-{year}-{counter.last_number:04d}"
