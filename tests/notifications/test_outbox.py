from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.notifications.delivery import retry_delay
from apps.notifications.models import Notification
from apps.notifications.services import notification_enqueue
from tests.factories import ControllerFactory

pytestmark = pytest.mark.django_db
DOWN = "tests.notifications.backends.RefusingBackend"


def enqueue(**kwargs):
    defaults = {
        "recipients": ["dpo@customer.test"],
        "subject": "Hello",
        "body": "Body",
        "kind": "test",
    }
    return notification_enqueue(**{**defaults, **kwargs})


def test_message_is_sent_after_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue()
        assert mail.outbox == []  # nothing leaves before the change it reports is committed
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["dpo@customer.test"]]
    notification = Notification.objects.get()
    assert notification.status == "sent" and notification.sent_at is not None


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                enqueue()
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_mail_server_down_keeps_the_message_and_schedules_a_retry(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = DOWN
    with django_capture_on_commit_callbacks(execute=True):
        enqueue()
    notification = Notification.objects.get()
    assert notification.status == "pending"
    assert notification.attempts == 1
    assert "mail server down" in notification.last_error
    assert notification.next_attempt_at > timezone.now()


def test_retries_back_off_then_give_up_visibly(settings):
    settings.EMAIL_BACKEND = DOWN
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    enqueue()
    notification = Notification.objects.get()
    for _ in range(3):
        notification.refresh_from_db()
        notification.next_attempt_at = timezone.now() - timedelta(seconds=1)
        notification.save()
        call_command("send_notifications")
    notification.refresh_from_db()
    assert notification.status == "failed"
    assert notification.attempts == 3
    assert [retry_delay(attempts=n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]


def test_command_sends_due_messages_once_the_server_is_back(settings, capsys):
    settings.EMAIL_BACKEND = DOWN
    enqueue(recipients=["a@customer.test", "b@customer.test"])
    call_command("send_notifications")  # both fail
    for n in Notification.objects.all():
        n.next_attempt_at = timezone.now() - timedelta(seconds=1)
        n.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_notifications")
    assert sorted(m.to[0] for m in mail.outbox) == ["a@customer.test", "b@customer.test"]
    assert "2 sent, 0 failed" in capsys.readouterr().out.splitlines()[-1]
    call_command("send_notifications")
    assert len(mail.outbox) == 2


def test_messages_not_yet_due_wait(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = DOWN
    with django_capture_on_commit_callbacks(execute=True):
        enqueue()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_notifications")
    assert mail.outbox == []  # its next attempt is a minute away


def test_same_dedupe_key_is_enqueued_once_per_recipient():
    first = enqueue(dedupe_key="reminder:1:24h", recipients=["x@customer.test", "y@customer.test"])
    second = enqueue(dedupe_key="reminder:1:24h", recipients=["x@customer.test", "X@customer.test"])
    assert len(first) == 2 and second == []
    assert Notification.objects.count() == 2


def test_related_object_is_recorded():
    controller = ControllerFactory()
    (notification,) = enqueue(related=controller)
    assert notification.related == controller


def test_failed_messages_are_visible_and_retried_from_the_admin(
    officer_client, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = DOWN
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(subject="Breach notice")
    url = reverse("admin:notifications_notification_changelist")
    page = officer_client.get(url, {"status__exact": "failed"}).content.decode()
    assert "Breach notice" in page
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notification = Notification.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            url, {"action": "retry_now", "_selected_action": [notification.pk]}, follow=True
        )
    assert "1 message(s) queued again." in response.content.decode()
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert len(mail.outbox) == 1


def test_sensitive_messages_are_hidden_from_staff_and_erased_once_sent(
    officer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (notification,) = enqueue(
            body="Set your password: https://x/invite/abc-token/", sensitive=True
        )
    page = officer_client.get(
        reverse("admin:notifications_notification_change", args=[notification.pk])
    ).content.decode()
    assert "abc-token" not in page
    assert "Hidden: this message carries a personal sign-in link." in page
    for callback in callbacks:
        callback()
    assert "abc-token" in mail.outbox[0].body
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.body == ""
    history_fields = {f.name for f in Notification.history.model._meta.get_fields()}
    assert "body" not in history_fields


def test_the_admin_shows_messages_queued_being_sent_failed_and_delivered(officer_client, settings):
    from apps.notifications.delivery import notification_claim, notifications_deliver

    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = DOWN
    enqueue(recipients=["failed@customer.test"], subject="Refused notice")
    notifications_deliver()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    enqueue(recipients=["sent@customer.test"], subject="Delivered notice")
    notifications_deliver()
    enqueue(recipients=["claimed@customer.test"], subject="Notice in flight")
    notification_claim()  # a worker holds it now
    enqueue(recipients=["queued@customer.test"], subject="Waiting notice")

    url = reverse("admin:notifications_notification_changelist")
    page = officer_client.get(url).content.decode()
    subjects = ["Refused notice", "Delivered notice", "Notice in flight", "Waiting notice"]
    rows = {s: row for row in page.split("<tr")[1:] for s in subjects if f">{s}<" in row}
    assert "Failed (gave up)" in rows["Refused notice"]
    assert "ConnectionRefusedError: mail server down" in rows["Refused notice"]
    assert "Delivered" in rows["Delivered notice"]
    assert "Being sent" in rows["Notice in flight"]
    assert "Queued" in rows["Waiting notice"]

    sending = officer_client.get(url, {"delivery": "sending"}).content.decode()
    assert "Notice in flight" in sending and "Waiting notice" not in sending
    page = officer_client.get(url, {"channel": "email", "status__exact": "failed"})
    assert "Refused notice" in page.content.decode()
    assert "Delivered notice" not in page.content.decode()


def test_a_message_a_worker_is_sending_is_not_retried_from_the_admin(officer_client):
    from apps.notifications.delivery import notification_claim

    (notification,) = enqueue(subject="In flight")
    notification_claim()
    url = reverse("admin:notifications_notification_changelist")
    response = officer_client.post(
        url, {"action": "retry_now", "_selected_action": [notification.pk]}, follow=True
    )
    assert "A worker is sending it right now" in response.content.decode()
    notification.refresh_from_db()
    assert notification.attempts == 1 and notification.claim_token is not None
