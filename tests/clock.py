"""A fixed "now" for tests of deadlines: a deadline counted as the law counts it moves past
weekends and holidays, so a test that counts from the day it runs would pass on some days and
fail on others."""

from datetime import UTC, datetime

from django.utils import timezone

# Tuesday 10 March 2026, noon UTC: no public holiday within a month either side in IE or DE.
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def freeze_now(monkeypatch, at: datetime = NOW) -> datetime:
    """Every `timezone.now()` call returns `at` (code that imported `now` itself is not moved)."""
    monkeypatch.setattr(timezone, "now", lambda: at)
    return at
