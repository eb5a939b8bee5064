"""Periods of months as Regulation 1182/71 counts them, the clock, and zones (apps.core.legaltime).

The expected last days below were worked out by hand from a calendar: the weekday of each date,
and each country's public holidays in 2026 and 2028.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from apps.core.legaltime import (
    DeadlineCalendar,
    clock,
    country_time_zone,
    format_instant,
    month_period,
    period_end,
    time_zone_is_valid,
    validate_holiday_subdivision,
    validate_time_zone,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def end_of(day: str, zone: str) -> datetime:
    """The last microsecond of `day` where `zone` is, in UTC, written out independently."""
    next_day = date.fromisoformat(day) + timedelta(days=1)
    start = datetime(next_day.year, next_day.month, next_day.day, tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC) - timedelta(microseconds=1)


# (why, receipt in UTC, months, zone, country, region, extra non-working days, last day there)
CASES = [
    # Month ends: the date the last month lacks becomes its last day.
    ("31 Jan + 1 month is 28 Feb, a Saturday: Monday", utc(2026, 1, 31, 10), 1,
     "Europe/Berlin", "DE", "", {}, "2026-03-02"),
    ("31 Mar + 1 month is 30 Apr, a Thursday", utc(2026, 3, 31, 10), 1,
     "Europe/Paris", "FR", "", {}, "2026-04-30"),
    ("31 Jan + 3 months (extended) is 30 Apr", utc(2026, 1, 31, 10), 3,
     "Europe/Dublin", "IE", "", {}, "2026-04-30"),
    ("31 Jan 2027 + 1 month is 28 Feb, a Sunday: Monday 1 Mar", utc(2027, 1, 31, 10), 1,
     "Europe/Warsaw", "PL", "", {}, "2027-03-01"),
    # Leap years.
    ("31 Jan 2028 + 1 month is 29 Feb 2028, a Tuesday", utc(2028, 1, 31, 10), 1,
     "Europe/Paris", "FR", "", {}, "2028-02-29"),
    ("29 Feb 2028 + 12 months is 28 Feb 2029, a Wednesday", utc(2028, 2, 29, 10), 12,
     "Europe/Paris", "FR", "", {}, "2029-02-28"),
    # Weekends.
    ("28 Feb + 1 month is 28 Mar, a Saturday: Monday", utc(2026, 2, 28, 10), 1,
     "Europe/Dublin", "IE", "", {}, "2026-03-30"),
    # Public holidays of four countries, and of a region.
    ("DE: Good Friday, the weekend and Easter Monday: Tuesday", utc(2026, 3, 3, 10), 1,
     "Europe/Berlin", "DE", "", {}, "2026-04-07"),
    ("DE: Christmas, Boxing Day and a Sunday: Monday 28 Dec", utc(2026, 11, 25, 10), 1,
     "Europe/Berlin", "DE", "", {}, "2026-12-28"),
    ("FR: 14 July: Wednesday", utc(2026, 6, 14, 10), 1,
     "Europe/Paris", "FR", "", {}, "2026-07-15"),
    ("IE: St Patrick's Day: Wednesday", utc(2026, 2, 17, 10), 1,
     "Europe/Dublin", "IE", "", {}, "2026-03-18"),
    ("PL: Independence Day, 11 Nov: Thursday", utc(2026, 10, 11, 10), 1,
     "Europe/Warsaw", "PL", "", {}, "2026-11-12"),
    ("DE-BY: Epiphany is a holiday in Bavaria", utc(2025, 12, 6, 10), 1,
     "Europe/Berlin", "DE", "BY", {}, "2026-01-07"),
    ("DE without a region: Epiphany is worked", utc(2025, 12, 6, 10), 1,
     "Europe/Berlin", "DE", "", {}, "2026-01-06"),
    ("GB-ENG: Easter Monday is a bank holiday in England", utc(2026, 3, 6, 10), 1,
     "Europe/London", "GB", "ENG", {}, "2026-04-07"),
    ("An extra non-working day moves the deadline too", utc(2026, 5, 15, 10), 1,
     "Europe/Berlin", "DE", "", {date(2026, 6, 15): "Office closure"}, "2026-06-16"),
    ("A country the holidays package does not know: weekends only", utc(2026, 1, 31, 10), 1,
     "UTC", "ZZ", "", {}, "2026-03-02"),
    # Daylight-saving changes: the last day ends at its own midnight, whatever the offset.
    ("Berlin, the weekend of the spring change: Monday in CEST", utc(2026, 2, 28, 10), 1,
     "Europe/Berlin", "DE", "", {}, "2026-03-30"),
    ("Berlin, received in CEST, due in CET", utc(2026, 9, 26, 10), 1,
     "Europe/Berlin", "DE", "", {}, "2026-10-26"),
    ("New York, due on its spring-forward Sunday: Monday in EDT", utc(2026, 2, 8, 12), 1,
     "America/New_York", "US", "", {}, "2026-03-09"),
    ("New York, due on its fall-back Sunday: Monday in EST", utc(2026, 10, 1, 12), 1,
     "America/New_York", "US", "", {}, "2026-11-02"),
    # Near midnight: the day of receipt is the day where the controller is.
    ("Tokyo: 15:30 UTC on 14 Apr is 00:30 on 15 Apr there", utc(2026, 4, 14, 15, 30), 1,
     "Asia/Tokyo", "JP", "", {}, "2026-05-15"),
    ("London: the same instant is still 14 Apr", utc(2026, 4, 14, 15, 30), 1,
     "Europe/London", "GB", "", {}, "2026-05-14"),
    ("New York: 03:30 UTC on 1 Mar is 22:30 on 28 Feb there; 28 Mar is a Saturday",
     utc(2026, 3, 1, 3, 30), 1, "America/New_York", "US", "", {}, "2026-03-30"),
    ("UTC: the same instant is 1 Mar, so 1 Apr", utc(2026, 3, 1, 3, 30), 1,
     "UTC", "", "", {}, "2026-04-01"),
]  # fmt: skip


@pytest.mark.parametrize(
    "received_at,months,zone,country,region,extra,last_day",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_period_ends_at_the_end_of_the_right_working_day(
    received_at, months, zone, country, region, extra, last_day
):
    period = month_period(
        received_at=received_at,
        months=months,
        zone=ZoneInfo(zone),
        country=country,
        subdivision=region,
        extra_non_working=extra,
    )
    assert period.last_day == date.fromisoformat(last_day)
    assert period.end_at == end_of(last_day, zone)
    assert period.end_at.tzinfo == UTC
    assert period_end(
        received_at=received_at,
        months=months,
        zone=ZoneInfo(zone),
        country=country,
        subdivision=region,
        extra_non_working=extra,
    ) == end_of(last_day, zone)


def test_the_end_of_a_day_across_the_change_of_offset_is_written_in_utc():
    # 30 Mar 2026 in Berlin is CEST (UTC+2); 26 Oct 2026 is CET (UTC+1).
    assert end_of("2026-03-30", "Europe/Berlin") == datetime(
        2026, 3, 30, 21, 59, 59, 999999, tzinfo=UTC
    )
    assert end_of("2026-10-26", "Europe/Berlin") == datetime(
        2026, 10, 26, 22, 59, 59, 999999, tzinfo=UTC
    )


def test_the_period_says_which_days_it_moved_over_and_why():
    period = month_period(
        received_at=utc(2026, 3, 3, 10), months=1, zone=ZoneInfo("Europe/Berlin"), country="DE"
    )
    assert period.nominal_last_day == date(2026, 4, 3)
    assert [day for day, _ in period.skipped] == [
        date(2026, 4, 3),
        date(2026, 4, 4),
        date(2026, 4, 5),
        date(2026, 4, 6),
    ]
    reasons = [reason for _, reason in period.skipped]
    assert reasons[0].startswith("public holiday") and reasons[1:3] == ["Saturday", "Sunday"]


def test_a_naive_receipt_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        month_period(received_at=datetime(2026, 1, 1), months=1, zone=ZoneInfo("UTC"))


def test_a_calendar_counts_the_same_as_the_function():
    calendar = DeadlineCalendar(zone=ZoneInfo("Europe/Paris"), country="FR")
    assert calendar.end(utc(2026, 6, 14, 10), 1) == end_of("2026-07-15", "Europe/Paris")


# --- the clock --------------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
DUE = end_of("2026-03-02", "Europe/Berlin")  # Monday 2 Mar 2026, 23:59:59 CET


@pytest.mark.parametrize(
    "now,days_left,label,overdue,due_soon",
    [
        (utc(2026, 2, 20, 12), 10, "10 days left", False, False),
        (utc(2026, 2, 23, 12), 7, "7 days left", False, True),
        (utc(2026, 3, 1, 12), 1, "1 day left", False, True),
        # All of the last day, to its local midnight: due today.
        (datetime(2026, 3, 2, 0, 5, tzinfo=BERLIN), 0, "due today", False, True),
        (datetime(2026, 3, 2, 23, 59, tzinfo=BERLIN), 0, "due today", False, True),
        (datetime(2026, 3, 3, 0, 0, 1, tzinfo=BERLIN), -1, "1 day overdue", True, False),
        (utc(2026, 3, 5, 12), -3, "3 days overdue", True, False),
    ],
)
def test_days_left_are_calendar_days_where_the_deadline_runs(
    now, days_left, label, overdue, due_soon
):
    c = clock(due_at=DUE, zone=BERLIN, now=now)
    assert (c.days_left, c.days_label, c.overdue, c.due_soon) == (
        days_left,
        label,
        overdue,
        due_soon,
    )


def test_the_same_moment_reads_the_same_days_left_for_every_reader():
    # 23:30 UTC on 1 Mar is already 2 Mar in Berlin, where the deadline runs: due today,
    # whether the reader sits in New York or Tokyo.
    now = utc(2026, 3, 1, 23, 30)
    assert clock(due_at=DUE, zone=BERLIN, now=now).days_label == "due today"


def test_hours_and_reminder_thresholds():
    due = utc(2026, 3, 2, 12)
    thresholds = [
        ("missed", timedelta(0)),
        ("1h", timedelta(hours=1)),
        ("12h", timedelta(hours=12)),
    ]
    far = clock(due_at=due, zone=BERLIN, now=due - timedelta(hours=30, minutes=20))
    assert (far.hours_left, far.hours_label, far.reached(thresholds)) == (30, "30 h left", None)
    soon = clock(due_at=due, zone=BERLIN, now=due - timedelta(minutes=50))
    assert (soon.hours_label, soon.reached(thresholds)) == ("less than 1 h left", "1h")
    late = clock(due_at=due, zone=BERLIN, now=due + timedelta(hours=5, minutes=1))
    assert (late.overdue, late.hours_overdue, late.hours_label) == (True, 5, "overdue by 5 h")
    assert late.reached(thresholds) == "missed"


# --- zones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "country,zone",
    [
        ("DE", "Europe/Berlin"),
        ("FR", "Europe/Paris"),
        ("IE", "Europe/Dublin"),
        ("PL", "Europe/Warsaw"),
        ("GB", "Europe/London"),
        ("US", "America/New_York"),
        ("JP", "Asia/Tokyo"),
        ("AU", "Australia/Sydney"),
        ("CA", "America/Toronto"),
        ("??", "UTC"),
    ],
)
def test_each_country_has_a_sensible_zone(country, zone):
    assert country_time_zone(country) == zone


def test_every_country_zone_exists_in_the_tz_database():
    from apps.core.legaltime import COUNTRY_ZONES

    assert len(COUNTRY_ZONES) > 240
    assert [z for z in COUNTRY_ZONES.values() if not time_zone_is_valid(z)] == []


def test_zone_names_and_regions_are_validated():
    validate_time_zone("Europe/Berlin")
    with pytest.raises(ValidationError, match="not a time zone"):
        validate_time_zone("Europe/Atlantis")
    validate_holiday_subdivision("DE", "BY")
    with pytest.raises(ValidationError, match="not a region of DE"):
        validate_holiday_subdivision("DE", "XX")


def test_an_instant_is_written_with_its_zone():
    due = end_of("2026-03-14", "Europe/Berlin")
    assert format_instant(due, BERLIN) == "14 Mar 2026, 23:59 CET"
    assert format_instant(due, BERLIN, zone_name=True) == "14 Mar 2026, 23:59 CET (Europe/Berlin)"
    assert format_instant(due, ZoneInfo("America/New_York")) == "14 Mar 2026, 18:59 EDT"
