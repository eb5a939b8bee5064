"""Our notification target, the overdue list, and the owner's reminders."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.breaches.models import BreachIncident
from apps.breaches.services import breach_controllers_confirm, breach_notify_controllers
from apps.notifications.models import Notification
from tests.factories import BreachIncidentFactory

pytestmark = pytest.mark.django_db


def aware_hours_ago(hours, **kwargs):
    now = timezone.now()
    return BreachIncidentFactory(
        became_aware_at=now - timedelta(hours=hours),
        occurred_from=now - timedelta(days=5),
        **kwargs,
    )


def test_target_is_awareness_plus_the_setting(settings):
    settings.BREACH_NOTIFY_TARGET_HOURS = 10
    incident = aware_hours_ago(1)
    assert incident.notify_target_at == incident.became_aware_at + timedelta(hours=10)


def test_overdue_means_target_passed_and_someone_not_notified(security_lead, acme, birch):
    within = aware_hours_ago(2, affected_controllers=[acme])
    unconfirmed = aware_hours_ago(30)
    waiting = aware_hours_ago(30, affected_controllers=[acme, birch])
    done = aware_hours_ago(30, affected_controllers=[acme])
    for incident in (within, waiting, done):
        breach_controllers_confirm(incident=incident, by=security_lead)
    breach_notify_controllers(incident=waiting, controllers=[acme], by=security_lead)
    breach_notify_controllers(incident=done, by=security_lead)
    assert set(BreachIncident.objects.overdue()) == {unconfirmed, waiting}


def reminders(*args):
    from io import StringIO

    out = StringIO()
    call_command("send_breach_reminders", *args, stdout=out)
    return out.getvalue().strip()


def test_owner_is_reminded_at_12_hours_then_1_hour_then_once_when_missed(security_lead, settings):
    settings.BREACH_NOTIFY_TARGET_HOURS = 24
    incident = aware_hours_ago(13, owner=security_lead)  # 11 h left
    assert "queued 1 reminder(s) (1 at 12 h, 0 at 1 h, 0 missed)" in reminders()
    assert "queued 0 reminder(s)" in reminders()  # once per threshold
    incident.became_aware_at -= timedelta(hours=10, minutes=30)  # 30 min left
    incident.save()
    assert "(0 at 12 h, 1 at 1 h, 0 missed)" in reminders()
    incident.became_aware_at -= timedelta(hours=1)  # missed
    incident.save()
    assert "(0 at 12 h, 0 at 1 h, 1 missed)" in reminders()
    assert "queued 0 reminder(s)" in reminders()
    sent = Notification.objects.filter(recipient=security_lead.email).order_by("created_at")
    assert list(sent.values_list("kind", flat=True)) == [
        "breach.reminder.12h",
        "breach.reminder.1h",
        "breach.reminder.missed",
    ]
    assert sent.last().subject == f"Missed: notification target of {incident.reference}"


def test_no_reminder_far_from_the_target_or_once_everyone_is_notified(security_lead, acme):
    aware_hours_ago(1)
    done = aware_hours_ago(20, affected_controllers=[acme])
    breach_controllers_confirm(incident=done, by=security_lead)
    breach_notify_controllers(incident=done, by=security_lead)
    assert reminders() == (
        "send_breach_reminders: queued 0 reminder(s) (0 at 12 h, 0 at 1 h, 0 missed); "
        "0 incident(s) waiting on a notice."
    )


def test_a_late_run_sends_only_the_latest_reminder(security_lead):
    aware_hours_ago(40, owner=security_lead)
    assert "(0 at 12 h, 0 at 1 h, 1 missed)" in reminders()
    assert Notification.objects.count() == 1


def test_dry_run_counts_without_queueing(security_lead):
    aware_hours_ago(13, owner=security_lead)
    assert "would queue 1 reminder(s)" in reminders("--dry-run")
    assert not Notification.objects.exists()
