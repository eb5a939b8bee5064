"""What the customer portal will call: scoping, acknowledgement, the report."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.breaches.models import BreachIncident
from apps.breaches.services import (
    breach_acknowledge,
    breach_controllers_confirm,
    breach_notify_controllers,
    breach_report_html,
    breach_report_pdf,
    breach_update_add,
    breach_update_send,
)
from tests.factories import BreachIncidentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def notified(incident, security_lead, acme):
    """Acme is notified; Birch is affected but not told yet."""
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_notify_controllers(incident=incident, controllers=[acme], by=security_lead)
    return incident


def test_a_controller_sees_only_incidents_it_was_notified_of(notified, acme, birch):
    BreachIncidentFactory(affected_controllers=[acme])  # affected, never confirmed or sent
    assert list(BreachIncident.objects.for_controller(acme)) == [notified]
    assert not BreachIncident.objects.for_controller(birch).exists()


def test_a_member_acknowledges_once_with_who_and_when(notified, acme):
    member = MembershipFactory(controller=acme).user
    notification = notified.notifications.get(controller=acme)
    breach_acknowledge(notification=notification, by=member)
    notification.refresh_from_db()
    assert notification.acknowledged_by == member
    assert notification.acknowledged_at is not None
    assert notification.history.latest().history_change_reason == (
        "breaches.notification.acknowledged"
    )
    with pytest.raises(ValidationError, match="Already acknowledged"):
        breach_acknowledge(notification=notification, by=member)


def test_someone_from_another_controller_cannot_acknowledge(notified, acme, birch):
    outsider = MembershipFactory(controller=birch).user
    notification = notified.notifications.get(controller=acme)
    with pytest.raises(ValidationError, match="Only a member of the notified controller"):
        breach_acknowledge(notification=notification, by=outsider)
    notification.refresh_from_db()
    assert notification.acknowledged_at is None


def test_a_read_only_auditor_or_expired_member_cannot_acknowledge(notified, acme):
    auditor = MembershipFactory(
        controller=acme, role="auditor", expires_at=timezone.now() + timedelta(days=5)
    ).user
    expired = MembershipFactory(controller=acme, expires_at=timezone.now() - timedelta(days=1)).user
    notification = notified.notifications.get(controller=acme)
    for user in (auditor, expired, UserFactory()):
        with pytest.raises(ValidationError):
            breach_acknowledge(notification=notification, by=user)


def test_an_unsent_notification_cannot_be_acknowledged(notified, birch):
    member = MembershipFactory(controller=birch).user
    with pytest.raises(ValidationError, match="not been sent yet"):
        breach_acknowledge(notification=notified.notifications.get(controller=birch), by=member)


def test_report_follows_art_33_3_with_processor_and_the_updates_sent_to_that_controller(
    notified, acme, security_lead, processor
):
    sent = breach_update_add(incident=notified, text="Root cause: a leaked key.", by=security_lead)
    breach_update_send(update=sent, by=security_lead)
    breach_update_add(incident=notified, text="Draft, not sent yet.", by=security_lead)
    html = breach_report_html(incident=notified, controller=acme)
    for heading in (
        "(a) Nature of the breach, data subjects and records concerned",
        "(b) Contact point for more information",
        "(c) Likely consequences",
        "(d) Measures taken or proposed",
        "Further information in phases (Art. 33(4))",
    ):
        assert heading in html
    assert "Calljmp LLC" in html
    assert "Acme Fitness Ltd" in html
    assert notified.reference in html
    assert "Root cause: a leaked key." in html
    assert "Draft, not sent yet." not in html


def test_report_is_a_pdf(notified, acme, processor):
    pdf = breach_report_pdf(incident=notified, controller=acme)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 1000


def test_no_report_for_a_controller_the_incident_does_not_affect(notified):
    from tests.factories import ControllerFactory

    with pytest.raises(ValidationError, match="is not affected by"):
        breach_report_pdf(incident=notified, controller=ControllerFactory())
