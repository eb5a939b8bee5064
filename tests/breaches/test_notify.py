"""Notifying affected controllers and sending updates, through the outbox."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from apps.breaches.models import BreachNotification, BreachUpdateDelivery
from apps.breaches.services import (
    breach_controllers_confirm,
    breach_notify_controllers,
    breach_update_add,
    breach_update_send,
)
from apps.notifications.models import Notification
from tests.factories import DataCategoryFactory, DataSubjectCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(incident, security_lead):
    breach_controllers_confirm(incident=incident, by=security_lead)
    return incident


def test_notice_reaches_each_controllers_contact_and_dpo_with_the_art_33_3_content(
    confirmed, security_lead, processor, django_capture_on_commit_callbacks
):
    confirmed.data_categories.add(DataCategoryFactory(name="Email addresses"))
    confirmed.data_subject_categories.add(DataSubjectCategoryFactory(name="App end users"))
    with django_capture_on_commit_callbacks(execute=True):
        sent = breach_notify_controllers(incident=confirmed, by=security_lead)
    assert len(sent) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "dpo@acme.test",
        "dpo@birch.test",
        "privacy@acme.test",
        "privacy@birch.test",
    ]
    body = next(m.body for m in mail.outbox if m.to == ["privacy@acme.test"])
    assert f"Reference: {confirmed.reference}" in body
    assert "(a) Nature of the breach: confidentiality" in body
    assert "Categories of personal data concerned: Email addresses" in body
    assert "Categories of data subjects concerned: App end users" in body
    assert "Approximate number of data subjects: 1200" in body
    assert "Approximate number of records: 5000" in body
    assert "security@calljmp.example" in body  # (b) contact point
    assert "Phishing against the exposed addresses." in body  # (c)
    assert "Bucket made private; access keys rotated." in body  # (d)
    for notification in BreachNotification.objects.all():
        assert notification.sent_at is not None
        assert notification.channel == "email"
        assert notification.controller_deadline_at is not None
        assert notification.history.latest().history_user == security_lead


def test_with_the_mail_server_down_the_notice_waits_in_the_outbox(
    confirmed, security_lead, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        breach_notify_controllers(incident=confirmed, by=security_lead)
    queued = Notification.objects.filter(kind="breach.notification")
    assert queued.count() == 4
    assert set(queued.values_list("status", flat=True)) == {"pending"}
    assert all("mail server down" in n.last_error for n in queued)


def test_notifying_before_confirming_the_controllers_is_refused(incident, security_lead):
    with pytest.raises(ValidationError, match="Confirm the affected controllers"):
        breach_notify_controllers(incident=incident, by=security_lead)
    assert not Notification.objects.exists()


def test_notifying_the_same_controller_twice_is_refused(confirmed, security_lead, acme):
    breach_notify_controllers(incident=confirmed, controllers=[acme], by=security_lead)
    with pytest.raises(ValidationError, match="Already notified of .*: Acme Fitness Ltd"):
        breach_notify_controllers(incident=confirmed, controllers=[acme], by=security_lead)
    assert Notification.objects.filter(kind="breach.notification").count() == 2
    # Notifying "the rest" reaches only the one still waiting.
    rest = breach_notify_controllers(incident=confirmed, by=security_lead)
    assert [n.controller.legal_name for n in rest] == ["Birch Health GmbH"]


def test_updates_are_numbered_in_phases_and_sent_to_notified_controllers(
    confirmed, security_lead, acme, django_capture_on_commit_callbacks
):
    breach_notify_controllers(incident=confirmed, controllers=[acme], by=security_lead)
    first = breach_update_add(incident=confirmed, text="Root cause found.", by=security_lead)
    second = breach_update_add(incident=confirmed, text="Logs reviewed.", by=security_lead)
    assert (first.phase, second.phase) == (1, 2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = breach_update_send(update=first, by=security_lead)
    # Birch is not notified yet: updates go only to those who have the notice.
    assert [d.controller for d in deliveries] == [acme]
    assert sorted(m.to[0] for m in mail.outbox) == ["dpo@acme.test", "privacy@acme.test"]
    assert "Root cause found." in mail.outbox[0].body
    assert "Update 1 on personal data breach" in mail.outbox[0].subject


def test_sending_an_update_twice_to_a_controller_is_refused_and_nothing_half_saved(
    confirmed, security_lead, acme, birch
):
    breach_notify_controllers(incident=confirmed, by=security_lead)
    update = breach_update_add(incident=confirmed, text="Root cause found.", by=security_lead)
    breach_update_send(update=update, controllers=[acme], by=security_lead)
    with pytest.raises(ValidationError, match="Update 1 of .* was already sent to Acme"):
        breach_update_send(update=update, controllers=[birch, acme], by=security_lead)
    # Birch got nothing from the refused call: not a delivery, not a message.
    assert list(BreachUpdateDelivery.objects.values_list("controller", flat=True)) == [acme.pk]
    assert Notification.objects.filter(kind="breach.update").count() == 2
    # Sending to "everyone left" reaches Birch, and then nobody is left.
    breach_update_send(update=update, by=security_lead)
    with pytest.raises(ValidationError, match="no controller left"):
        breach_update_send(update=update, by=security_lead)
    assert BreachUpdateDelivery.objects.count() == 2


def test_an_empty_update_is_refused(confirmed, security_lead):
    with pytest.raises(ValidationError, match="needs its text"):
        breach_update_add(incident=confirmed, text="  ", by=security_lead)
    assert not confirmed.updates.exists()
