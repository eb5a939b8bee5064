"""The zone a person reads times in, and its activation for each request.

A person's own setting (User.time_zone) comes first. Without one, staff read the processor's
zone (settings.PROCESSOR_TIME_ZONE: the processor's profile lives on a floor above this one) and a
customer user reads its organisation's, which the portal activates once it knows the
organisation (apps.portal.tenancy).
"""

import zoneinfo

from django.conf import settings
from django.utils import timezone

from apps.core.legaltime import zone_named


def processor_zone() -> zoneinfo.ZoneInfo:
    return zone_named(settings.PROCESSOR_TIME_ZONE)


def reader_zone(user, *, default: zoneinfo.ZoneInfo | None = None) -> zoneinfo.ZoneInfo:
    """The zone `user` reads times in: its own; else, for staff, the processor's; else
    `default` (a customer user's organisation's zone), else UTC."""
    own = getattr(user, "time_zone", "") or ""
    if own:
        return zone_named(own)
    if getattr(user, "is_staff", False):
        return processor_zone()
    return default or zoneinfo.ZoneInfo("UTC")


class ReaderTimeZoneMiddleware:
    """Activates the reader's zone for the request, so templates, admin pages and form inputs
    speak it; a customer without a setting of its own gets its organisation's zone from the
    portal, which alone knows which organisation the request is for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and (user.time_zone or user.is_staff):
            timezone.activate(reader_zone(user))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
