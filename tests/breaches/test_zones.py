"""Breach clocks in hours, each message in its reader's zone, the zone named."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from apps.breaches.services import breach_controllers_confirm, breach_report_html
from apps.notifications.models import Notification
from tests.clock import freeze_now
from tests.factories import BreachIncidentFactory, ControllerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_the_owners_reminder_is_written_in_the_owners_zone(security_lead, settings, monkeypatch):
    settings.BREACH_NOTIFY_TARGET_HOURS = 24
    freeze_now(monkeypatch, NOW)
    security_lead.time_zone = "Europe/Paris"
    security_lead.save()
    BreachIncidentFactory(
        owner=security_lead,
        became_aware_at=NOW - timedelta(hours=13, minutes=30),
        occurred_from=NOW - timedelta(days=2),
    )
    call_command("send_breach_reminders", stdout=StringIO())
    body = Notification.objects.get(kind="breach.reminder.12h").body
    # Aware at 22:30 UTC on 9 Mar: notify by 22:30 UTC on 10 Mar, 23:30 in Paris.
    assert "must be notified by 10 Mar 2026, 23:30 CET (10 h left)" in body
    assert "Times are in Europe/Paris." in body


def test_the_owner_without_a_zone_reads_the_processors(security_lead, settings, monkeypatch):
    settings.BREACH_NOTIFY_TARGET_HOURS = 24
    freeze_now(monkeypatch, NOW)
    BreachIncidentFactory(
        owner=security_lead,
        became_aware_at=NOW - timedelta(hours=25),
        occurred_from=NOW - timedelta(days=2),
    )
    call_command("send_breach_reminders", stdout=StringIO())
    body = Notification.objects.get(kind="breach.reminder.missed").body
    assert "passed at 10 Mar 2026, 07:00 EDT (overdue by 1 h)" in body
    assert f"Times are in {settings.PROCESSOR_TIME_ZONE}." in body


def test_the_report_is_in_the_controllers_zone(security_lead, monkeypatch):
    freeze_now(monkeypatch, NOW)
    warsaw = ControllerFactory(country="PL")
    incident = BreachIncidentFactory(
        owner=security_lead,
        affected_controllers=[warsaw],
        became_aware_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC),
        occurred_from=datetime(2026, 3, 9, tzinfo=UTC),
    )
    breach_controllers_confirm(incident=incident, by=security_lead)
    html = breach_report_html(incident=incident, controller=warsaw)
    assert "Times are in Europe/Warsaw." in html
    assert "10 Mar 2026, 00:30 CET" in html  # became aware, already 10 Mar in Warsaw
