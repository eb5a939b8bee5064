"""What the outbox hides stays hidden: from staff who filter its list, and from anyone who reads
its tables. A pending password-reset link is the prize: whoever reads it takes the account."""

import importlib
import re
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse

from apps.controllers.models import Membership
from apps.controllers.services import membership_invite
from apps.notifications.models import Notification
from apps.notifications.services import notification_enqueue
from tests.factories import ControllerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"http://testserver/portal/password/reset/\S+")
OUTBOX = reverse("admin:notifications_notification_changelist")


@pytest.fixture
def customer(db):
    return MembershipFactory(role=Membership.Role.ADMIN, user__email="owner@alpha.test").user


@pytest.fixture
def pending_reset(client, customer, django_capture_on_commit_callbacks):
    """A customer asked for a password reset; the message waits in the outbox (not yet sent).
    Yields the message and the callback that sends it."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("portal:password_reset"), {"email": customer.email})
    assert response.status_code == 302
    (notification,) = Notification.objects.filter(kind="portal.password_reset")
    assert notification.sensitive and notification.status == "pending"
    return notification, callbacks


def stored_body(notification) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body FROM notifications_notification WHERE id = %s", [notification.pk]
        )
        return cursor.fetchone()[0]


def history_cells(notification) -> list[str]:
    """Every value of every history row of the message, as text."""
    table = Notification.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [notification.pk])
        rows = cursor.fetchall()
    assert rows
    return [str(cell) for row in rows for cell in row]


def send(callbacks) -> None:
    for callback in callbacks:
        callback()


@pytest.mark.parametrize(
    "probe",
    [
        {"body__regex": "^http"},
        {"body__startswith": "Y"},
        {"body__contains": "reset"},
        {"body": "x"},
        {"sensitive__exact": "1"},
        {"recipient__regex": "^o"},
        {"dedupe_key__isnull": "True"},
    ],
)
def test_a_support_agent_cannot_filter_the_outbox_on_what_it_does_not_offer(
    client, support_agent, pending_reset, probe
):
    client.force_login(support_agent)
    assert client.get(OUTBOX, probe).status_code == 400


def test_the_outbox_filters_it_shows_still_work_for_a_support_agent(
    client, support_agent, pending_reset
):
    notification, _ = pending_reset
    client.force_login(support_agent)
    for offered in ({"status__exact": "pending"}, {"kind": "portal.password_reset"}):
        response = client.get(OUTBOX, offered)
        assert response.status_code == 200
        assert notification.subject in response.content.decode()


def test_searching_the_outbox_for_a_piece_of_the_link_finds_nothing(
    client, support_agent, pending_reset
):
    notification, callbacks = pending_reset
    token = RESET_LINK.search(notification.body).group(0).rstrip("/").rsplit("/", 1)[-1]
    client.force_login(support_agent)
    response = client.get(OUTBOX, {"q": token})
    assert response.status_code == 200
    assert notification.subject not in response.content.decode()
    page = client.get(reverse("admin:notifications_notification_change", args=[notification.pk]))
    assert token not in page.content.decode()


def test_the_stored_row_holds_no_link_and_the_delivered_mail_does(pending_reset):
    notification, callbacks = pending_reset
    link = RESET_LINK.search(notification.body).group(0)  # the application reads it
    stored = stored_body(notification)
    assert stored and "reset" not in stored and "http" not in stored
    assert Fernet(b"dGVzdHMtb25seS1vdXRib3gta2V5LTAxMjM0NTY3ODk=").decrypt(stored.encode())
    assert not any(
        link in cell or "/password/reset/" in cell for cell in history_cells(notification)
    )

    send(callbacks)

    assert len(mail.outbox) == 1 and link in mail.outbox[0].body
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert stored_body(notification) == ""  # erased once it has reached its person
    assert not any(
        link in cell or "/password/reset/" in cell for cell in history_cells(notification)
    )


def test_an_invitation_is_stored_encrypted_too(officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership_invite(
            controller=ControllerFactory(),
            email="new.person@customer.test",
            full_name="New Person",
            role=Membership.Role.MEMBER,
            invited_by=officer,
        )
    (notification,) = Notification.objects.filter(kind="portal.invitation")
    assert notification.sensitive and "http://" in notification.body
    assert "http" not in stored_body(notification)
    send(callbacks)
    assert "http://" in mail.outbox[0].body


def test_a_retired_key_still_opens_what_it_sealed(settings):
    (notification,) = notification_enqueue(
        recipients=["a@customer.test"], subject="S", body="Sealed with the old key", kind="t"
    )
    old = settings.OUTBOX_ENCRYPTION_KEY
    settings.OUTBOX_ENCRYPTION_KEY = Fernet.generate_key().decode()
    settings.OUTBOX_ENCRYPTION_RETIRED_KEYS = [old]
    notification.refresh_from_db()
    assert notification.body == "Sealed with the old key"
    # New messages are sealed with the new key alone.
    (fresh,) = notification_enqueue(
        recipients=["b@customer.test"], subject="S", body="New", kind="t"
    )
    assert Fernet(settings.OUTBOX_ENCRYPTION_KEY).decrypt(stored_body(fresh).encode()) == b"New"


def test_a_body_under_an_unknown_key_is_refused_loudly_not_sent_garbled(settings):
    (notification,) = notification_enqueue(
        recipients=["a@customer.test"], subject="S", body="Body", kind="t"
    )
    settings.OUTBOX_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="OUTBOX_ENCRYPTION_KEY"):
        notification.refresh_from_db()


def test_a_key_that_is_not_a_fernet_key_is_named_in_the_error(settings):
    settings.OUTBOX_ENCRYPTION_KEY = "not-a-key"
    with pytest.raises(ImproperlyConfigured, match="Fernet key"):
        notification_enqueue(recipients=["a@customer.test"], subject="S", body="B", kind="t")


def test_the_migration_encrypts_the_bodies_already_stored():
    migration = importlib.import_module("apps.notifications.migrations.0006_encrypt_stored_bodies")
    (notification,) = notification_enqueue(
        recipients=["a@customer.test"], subject="S", body="x", kind="t"
    )
    with connection.cursor() as cursor:  # a row as the outbox held it before encryption
        cursor.execute(
            "UPDATE notifications_notification SET body = %s WHERE id = %s",
            ["Set a password: https://x/invite/abc/", notification.pk],
        )
    editor = SimpleNamespace(connection=connection)
    migration.encrypt(None, editor)
    sealed = stored_body(notification)
    assert "https" not in sealed
    notification.refresh_from_db()
    assert notification.body == "Set a password: https://x/invite/abc/"
    migration.encrypt(None, editor)  # again: nothing changes
    assert stored_body(notification) == sealed
    migration.decrypt(None, editor)
    assert stored_body(notification) == "Set a password: https://x/invite/abc/"
