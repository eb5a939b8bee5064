"""Deadlines of requests as Regulation 1182/71 counts them, where the controller is: at
submission, with non-working days, on extension, when counted anew, and in the data migration."""

import importlib
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from apps.core.legaltime import DEADLINE_RECOMPUTED_REASON
from apps.dsar.deadlines import dsar_calendar_for, holiday_country_for
from apps.dsar.models import DsarTicket
from apps.dsar.services import (
    dsar_deadlines_recompute,
    dsar_ticket_extend,
    dsar_ticket_submit,
)
from apps.notifications.models import Notification
from apps.trail.models import TrailEntry
from apps.trail.services import trail_seal_pending
from tests.clock import freeze_now
from tests.factories import (
    ControllerFactory,
    DsarTicketFactory,
    MembershipFactory,
    NonWorkingDayFactory,
    ProcessorFactory,
)

pytestmark = pytest.mark.django_db


def end_of(day: str, zone: str) -> datetime:
    next_day = date.fromisoformat(day) + timedelta(days=1)
    start = datetime(next_day.year, next_day.month, next_day.day, tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC) - timedelta(microseconds=1)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def berlin(db):
    return ControllerFactory(legal_name="Birch Health GmbH", country="DE")


@pytest.fixture
def submitter(berlin):
    return MembershipFactory(controller=berlin, role="admin").user


def submit(controller, user, received_at):
    return dsar_ticket_submit(
        controller=controller,
        submitted_by=user,
        request_type="access",
        data_subject_identifier="user-1",
        received_at=received_at,
    )


def test_a_submitted_request_is_due_at_the_end_of_the_next_working_day_in_berlin(
    berlin, submitter, monkeypatch
):
    freeze_now(monkeypatch, utc(2026, 2, 10, 12))
    ticket = submit(berlin, submitter, utc(2026, 1, 31, 10))
    # 28 Feb 2026 is a Saturday: Monday 2 Mar, to midnight in Berlin (22:59:59 UTC).
    assert ticket.statutory_due_at == ticket.due_at == end_of("2026-03-02", "Europe/Berlin")
    staff_mail = Notification.objects.filter(kind="dsar.submitted").values_list("body", flat=True)
    assert all("2 Mar 2026, 23:59 CET (Europe/Berlin)" in body for body in staff_mail)


def test_the_controllers_own_zone_and_region_count(submitter, berlin, monkeypatch):
    freeze_now(monkeypatch, utc(2025, 12, 10, 12))
    berlin.time_zone, berlin.holiday_subdivision = "Asia/Tokyo", "BY"
    berlin.save()
    # 6 Dec 2025, 20:00 UTC is already 7 Dec in Tokyo; 7 Jan 2026 is a Wednesday.
    assert submit(berlin, submitter, utc(2025, 12, 6, 20)).due_at == end_of(
        "2026-01-07", "Asia/Tokyo"
    )
    # 6 Dec 10:00 UTC is 6 Dec in Tokyo: 6 Jan, Epiphany, a holiday in Bavaria: Wednesday 7 Jan.
    assert submit(berlin, submitter, utc(2025, 12, 6, 10)).due_at == end_of(
        "2026-01-07", "Asia/Tokyo"
    )
    berlin.holiday_subdivision = ""
    berlin.save()
    assert submit(berlin, submitter, utc(2025, 12, 6, 10)).due_at == end_of(
        "2026-01-06", "Asia/Tokyo"
    )


def test_non_working_days_added_by_a_privacy_officer_move_the_deadline(
    berlin, submitter, monkeypatch
):
    freeze_now(monkeypatch, utc(2026, 5, 20, 12))
    received = utc(2026, 5, 15, 10)  # 15 Jun 2026 is a Monday
    assert submit(berlin, submitter, received).due_at == end_of("2026-06-15", "Europe/Berlin")
    NonWorkingDayFactory(day=date(2026, 6, 15), country="FR")  # elsewhere: no effect
    assert submit(berlin, submitter, received).due_at == end_of("2026-06-15", "Europe/Berlin")
    NonWorkingDayFactory(day=date(2026, 6, 15), country="DE")
    NonWorkingDayFactory(day=date(2026, 6, 16), country="")  # everywhere
    assert submit(berlin, submitter, received).due_at == end_of("2026-06-17", "Europe/Berlin")


def test_a_country_without_a_holiday_calendar_takes_the_processors():
    ProcessorFactory(country="US")
    assert holiday_country_for(ControllerFactory.build(country="ZZ")) == ("US", "")
    assert holiday_country_for(
        ControllerFactory.build(country="GB", holiday_subdivision="ENG")
    ) == (
        "GB",
        "ENG",
    )


def test_the_extension_window_is_the_first_month_as_counted_and_the_customer_is_told(
    berlin, submitter, support_agent, monkeypatch
):
    freeze_now(monkeypatch, utc(2026, 2, 10, 12))
    ticket = submit(berlin, submitter, utc(2026, 1, 31, 10))
    # Monday 2 Mar, 23:00 in Berlin: the first month (moved past the weekend) still runs.
    freeze_now(monkeypatch, datetime(2026, 3, 2, 23, tzinfo=ZoneInfo("Europe/Berlin")))
    dsar_ticket_extend(ticket=ticket, months=2, reason="Many systems", by=support_agent)
    # 30 Apr 2026 is a Thursday.
    assert ticket.due_at == end_of("2026-04-30", "Europe/Berlin")
    assert ticket.statutory_due_at == end_of("2026-03-02", "Europe/Berlin")
    bodies = list(Notification.objects.filter(kind="dsar.extended").values_list("body", flat=True))
    assert len(bodies) == 2  # the controller's contact and the customer user who submitted
    for body in bodies:
        assert "to 30 Apr 2026, 23:59 CEST (Europe/Berlin)" in body
        assert "must be told of the extension and its reasons by 2 Mar 2026, 23:59 CET" in body
    entry = ticket.timeline.get(kind="extension")
    assert entry.visible_to_customer
    assert "Tell the data subject of the extension and its reasons by 2 Mar 2026" in entry.body


def test_an_extension_after_the_first_month_as_counted_is_refused(
    berlin, submitter, support_agent, monkeypatch
):
    freeze_now(monkeypatch, utc(2026, 2, 10, 12))
    ticket = submit(berlin, submitter, utc(2026, 1, 31, 10))
    freeze_now(monkeypatch, datetime(2026, 3, 3, 0, 30, tzinfo=ZoneInfo("Europe/Berlin")))
    with pytest.raises(ValidationError, match="first month ended on 2 Mar 2026, 23:59 CET"):
        dsar_ticket_extend(ticket=ticket, months=1, reason="Late", by=support_agent)


def test_due_soon_is_counted_in_each_controllers_zone(monkeypatch):
    # 16:00 UTC on Tue 10 Mar is already Wed 11 Mar in Tokyo, still Tue 10 Mar in New York.
    now = freeze_now(monkeypatch, utc(2026, 3, 10, 16))
    tokyo = ControllerFactory(country="JP")
    new_york = ControllerFactory(country="US")
    # Both due on Wed 18 Mar, at the end of the day in their own zone.
    in_tokyo = DsarTicketFactory(controller=tokyo, received_at=utc(2026, 2, 18, 3))
    in_new_york = DsarTicketFactory(controller=new_york, received_at=utc(2026, 2, 18, 15))
    assert in_tokyo.clock(now).days_left == 7 and in_new_york.clock(now).days_left == 8
    assert list(DsarTicket.objects.due_within(7, at=now)) == [in_tokyo]
    assert set(DsarTicket.objects.due_within(8, at=now)) == {in_tokyo, in_new_york}


# --- counted anew -----------------------------------------------------------------------------


# What the deadline of a receipt on 31 Jan, 10:00 UTC was before: + one month, at the same hour.
OLD_DEADLINE = utc(2026, 2, 28, 10)


def counted_the_old_way(ticket):
    old = OLD_DEADLINE
    # Simulates a row from before the rule; no history row is wanted for that.
    DsarTicket.objects.filter(pk=ticket.pk).update(statutory_due_at=old, due_at=old)
    return old


def test_recomputing_moves_open_deadlines_with_the_rule_as_the_reason(berlin, monkeypatch):
    freeze_now(monkeypatch, utc(2026, 2, 10, 12))
    open_ticket = DsarTicketFactory(controller=berlin, received_at=utc(2026, 1, 31, 10))
    closed = DsarTicketFactory(
        controller=berlin, received_at=utc(2026, 1, 31, 10), status="completed"
    )
    counted_the_old_way(open_ticket)
    closed_old = counted_the_old_way(closed)
    assert dsar_deadlines_recompute(dry_run=True) == {"checked": 1, "moved": 1}
    assert dsar_deadlines_recompute() == {"checked": 1, "moved": 1}
    open_ticket.refresh_from_db()
    closed.refresh_from_db()
    assert open_ticket.due_at == end_of("2026-03-02", "Europe/Berlin")
    assert open_ticket.history.first().history_change_reason == DEADLINE_RECOMPUTED_REASON
    assert closed.due_at == closed_old
    assert dsar_deadlines_recompute() == {"checked": 1, "moved": 0}


def test_the_data_migration_counts_open_deadlines_anew_through_the_frozen_models(
    berlin, monkeypatch
):
    freeze_now(monkeypatch, utc(2026, 2, 10, 12))
    ticket = DsarTicketFactory(controller=berlin, received_at=utc(2026, 1, 31, 10))
    extended = DsarTicketFactory(
        controller=berlin,
        received_at=utc(2026, 1, 31, 10),
        extension_months=2,
        extension_reason="Many systems",
    )
    withdrawn = DsarTicketFactory(
        controller=berlin, received_at=utc(2026, 1, 31, 10), status="withdrawn"
    )
    for t in (ticket, extended, withdrawn):
        counted_the_old_way(t)
    rows_before = DsarTicket.history.count()

    migration = importlib.import_module("apps.dsar.migrations.0006_recompute_open_deadlines")
    frozen = (
        MigrationLoader(connection).project_state(("dsar", "0006_recompute_open_deadlines")).apps
    )
    migration.recompute(frozen, SimpleNamespace(connection=connection))

    ticket.refresh_from_db()
    extended.refresh_from_db()
    withdrawn.refresh_from_db()
    assert ticket.due_at == ticket.statutory_due_at == end_of("2026-03-02", "Europe/Berlin")
    assert extended.due_at == end_of("2026-04-30", "Europe/Berlin")
    assert withdrawn.due_at == OLD_DEADLINE
    # One history row per moved ticket, holding the new deadlines and naming the rule.
    assert DsarTicket.history.count() == rows_before + 2
    row = ticket.history.first()
    assert row.history_change_reason == DEADLINE_RECOMPUTED_REASON
    assert row.history_type == "~" and row.due_at == ticket.due_at
    assert row.data_subject_identifier == ticket.data_subject_identifier
    # Marked for the trail as the application marks its own rows, so it is chained.
    trail_seal_pending()
    entry = TrailEntry.objects.get(history_model="dsar.historicaldsarticket", history_id=row.pk)
    assert entry.change_reason == DEADLINE_RECOMPUTED_REASON
    # Run again, nothing moves.
    migration.recompute(frozen, SimpleNamespace(connection=connection))
    assert DsarTicket.history.count() == rows_before + 2


def test_a_calendar_is_read_once_for_many_tickets(berlin, django_assert_num_queries):
    NonWorkingDayFactory(day=date(2026, 6, 15), country="DE")
    with django_assert_num_queries(1):  # the non-working days; Germany has a holiday calendar
        calendar = dsar_calendar_for(controller=berlin)
    assert calendar.extra_non_working == {date(2026, 6, 15): "Office closure"}
