from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.dsar.models import SCRUBBED, DsarTicket
from apps.dsar.services import dsar_propagation_update, dsar_ticket_transition
from apps.notifications.models import Notification
from apps.trail.models import TrailScrub
from tests.clock import freeze_now
from tests.factories import DsarTicketFactory

pytestmark = pytest.mark.django_db


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_reminders_warn_assignees_once_per_ticket_and_threshold(monkeypatch):
    freeze_now(monkeypatch)  # Tuesday 10 Mar 2026, noon UTC; the controllers are in Ireland
    # Due Monday 2 Mar (28 Feb is a Saturday): overdue. Due Thursday 12 Mar: within 3 days.
    overdue = DsarTicketFactory(received_at=datetime(2026, 1, 28, 10, tzinfo=UTC))
    soon = DsarTicketFactory(received_at=datetime(2026, 2, 12, 10, tzinfo=UTC))
    DsarTicketFactory(received_at=datetime(2026, 3, 9, 10, tzinfo=UTC))  # due 9 Apr
    closed = DsarTicketFactory(
        received_at=datetime(2026, 1, 28, 10, tzinfo=UTC), status="withdrawn"
    )
    out = run("send_reminders")
    assert "warned of 1 ticket(s) due within 3 day(s) and 1 overdue" in out
    sent = dict(Notification.objects.values_list("recipient", "kind"))
    assert sent == {
        overdue.assignee.email: "dsar.reminder.overdue",
        soon.assignee.email: "dsar.reminder.due_soon",
    }
    assert closed.assignee.email not in sent
    body = Notification.objects.get(kind="dsar.reminder.due_soon").body
    assert "2 days left (statutory deadline 12 Mar 2026, 23:59 GMT (Europe/Dublin))" in body
    again = run("send_reminders")
    assert "warned of 0 ticket(s) due within 3 day(s) and 0 overdue; 2 already warned" in again
    assert Notification.objects.count() == 2


def test_reminders_dry_run_sends_nothing_and_days_option_widens_the_window(monkeypatch):
    freeze_now(monkeypatch)
    # 16 Mar is a Monday, 6 days on; 4 days on counting from the weekend's end would be wrong.
    DsarTicketFactory(received_at=datetime(2026, 2, 16, 10, tzinfo=UTC))
    assert "would warn of 0 ticket(s)" in run("send_reminders", "--dry-run")
    assert "would warn of 1 ticket(s) due within 7 day(s)" in run(
        "send_reminders", "--dry-run", "--days", "7"
    )
    assert not Notification.objects.exists()


def completed_erasure(support_agent, days_ago):
    ticket = DsarTicketFactory(request_type="erasure", data_subject_identifier="jane@x.test")
    dsar_ticket_transition(ticket=ticket, to="in_progress", by=support_agent)
    dsar_ticket_transition(ticket=ticket, to="completed", by=support_agent)
    DsarTicket.objects.filter(pk=ticket.pk).update(
        closed_at=timezone.now() - timedelta(days=days_ago)
    )  # age the ticket for the test; no history row is wanted for that
    return ticket


def test_scrub_removes_the_identifier_from_ticket_and_history_and_records_the_scrub(
    support_agent, settings
):
    settings.DSAR_SCRUB_AFTER_DAYS = 30
    old = completed_erasure(support_agent, days_ago=31)
    recent = completed_erasure(support_agent, days_ago=5)
    access = DsarTicketFactory(request_type="access", status="completed")
    assert "scrubbed 1 ticket(s)" in run("scrub_dsar_subjects")
    old.refresh_from_db()
    assert old.data_subject_identifier == SCRUBBED
    assert old.scrubbed_at is not None and old.scrubbed_by == "manage.py scrub_dsar_subjects"
    history = old.history.all()
    assert {h.data_subject_identifier for h in history} == {SCRUBBED}
    assert history.first().history_change_reason == "dsar.subject_scrubbed"
    scrubs = TrailScrub.objects.filter(reason="dsar.subject_scrubbed")
    assert scrubs.count() == history.count() - 1  # every earlier row; the new one is clean
    assert "intact" in run("verify_audit_trail")
    recent.refresh_from_db()
    assert recent.data_subject_identifier == "jane@x.test"
    assert "jane@x.test" in set(recent.history.values_list("data_subject_identifier", flat=True))
    access.refresh_from_db()
    assert access.data_subject_identifier != SCRUBBED
    assert "scrubbed 0 ticket(s)" in run("scrub_dsar_subjects")


def test_scrub_dry_run_changes_nothing(support_agent):
    old = completed_erasure(support_agent, days_ago=60)
    out = run("scrub_dsar_subjects", "--dry-run")
    assert f"would scrub {old.reference}" in out and "would scrub 1 ticket(s)" in out
    old.refresh_from_db()
    assert old.data_subject_identifier == "jane@x.test" and old.scrubbed_at is None


def test_propagation_rows_do_not_block_the_scrub(submit, subprocessors, support_agent):
    ticket = submit(request_type="erasure")
    for row in ticket.propagations.all():
        dsar_propagation_update(propagation=row, status="done", by=support_agent)
    dsar_ticket_transition(ticket=ticket, to="in_progress", by=support_agent)
    dsar_ticket_transition(ticket=ticket, to="completed", by=support_agent)
    DsarTicket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timedelta(days=90))
    run("scrub_dsar_subjects")
    ticket.refresh_from_db()
    assert ticket.data_subject_identifier == SCRUBBED
