"""Where a controller's deadlines run: its zone, the public holidays that count and the extra
non-working days, read from the database once and handed to the pure rule in
apps.core.legaltime."""

from django.db.models import Q

from apps.controllers.models import Controller, NonWorkingDay
from apps.core.legaltime import DeadlineCalendar, holidays_known_for
from apps.processors.models import Processor


def holiday_country_for(controller: Controller) -> tuple[str, str]:
    """(country, region) whose public holidays count: the controller's, or, when the holidays
    package knows none for its country, the processor's country."""
    country = str(controller.country)
    if holidays_known_for(country):
        return country, controller.holiday_subdivision
    processor_country = (
        Processor.objects.order_by("pk").values_list("country", flat=True).first() or ""
    )
    return str(processor_country), ""


def dsar_calendar_for(*, controller: Controller) -> DeadlineCalendar:
    country, subdivision = holiday_country_for(controller)
    extra = {
        day.day: day.name
        for day in NonWorkingDay.objects.filter(
            Q(country="") | Q(country=str(controller.country))
        ).only("day", "name")
    }
    return DeadlineCalendar(
        zone=controller.zone, country=country, subdivision=subdivision, extra_non_working=extra
    )
