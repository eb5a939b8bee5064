"""Mail leaves the request: a page only records messages, a worker sends them with a timeout,
and no message is lost or sent twice when mail servers hang or refuse, or when workers race or
die mid-send."""

import io
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.controllers.models import Membership
from apps.notifications.delivery import (
    claim_length,
    notification_claim,
    notification_record,
    notifications_deliver,
)
from apps.notifications.models import Notification
from apps.notifications.services import notification_enqueue
from apps.notifications.transports import EmailSession, transport_for
from apps.trail.models import TrailEntry
from apps.trail.services import trail_seal_pending
from apps.trail.verification import trail_verify
from tests.factories import MembershipFactory
from tests.notifications.backends import RecordingBackend
from tests.notifications.servers import free_port, silent_server, smtp_server, use_smtp
from tests.notifications.workers import run_db_worker

pytestmark = pytest.mark.django_db  # the transactional tests say so themselves

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RECORDING = "tests.notifications.backends.RecordingBackend"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SKIP LOCKED and a second process need PostgreSQL"
)


class Clock:
    """timezone.now, moved by hand: an hour of cron runs takes no hour."""

    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def queued_only(settings):
    """Enqueued tasks wait in the database for a worker (as deployed), rather than running
    at once: transactional tests commit, and the test's own senders must find the messages."""
    settings.TASKS = DATABASE_BACKEND


@pytest.fixture
def recording(settings, queued_only):
    settings.EMAIL_BACKEND = RECORDING
    RecordingBackend.sent = []
    RecordingBackend.hold = None
    yield RecordingBackend
    RecordingBackend.hold = None


def enqueue(count: int = 1, **kwargs) -> list[Notification]:
    return notification_enqueue(
        recipients=[f"dpo{n}@customer.test" for n in range(count)],
        subject=kwargs.pop("subject", "Notice"),
        body="Body",
        kind="test",
        **kwargs,
    )


def cron() -> str:
    out = io.StringIO()
    call_command("send_notifications", stdout=out)
    return out.getvalue()


@pytest.fixture
def customer(db):
    return MembershipFactory(role=Membership.Role.ADMIN, user__email="owner@alpha.test").user


@pytest.mark.django_db(transaction=True)
def test_a_page_that_queues_mail_does_not_wait_for_a_mail_server_that_never_answers(
    client, customer, settings, queued_only
):
    with silent_server() as server:
        use_smtp(settings, server.port, timeout=3)
        url = reverse("portal:password_reset")
        client.get(url)  # templates and URLs loaded: the POST below times only its own work

        started = time.monotonic()
        response = client.post(url, {"email": customer.email})
        page_seconds = time.monotonic() - started

        assert response.status_code == 302
        assert page_seconds < 1  # well under EMAIL_TIMEOUT (3 s): the page sent nothing
        (notification,) = Notification.objects.filter(kind="portal.password_reset")
        assert notification.status == "pending" and notification.attempts == 0
        assert server.connections == 0
        assert (
            DBTaskResult.objects.filter(
                status="READY", task_path__endswith="deliver_notifications"
            ).count()
            == 1
        )

        started = time.monotonic()
        run_db_worker()  # the worker's task tries, waits EMAIL_TIMEOUT, gives up
        worker_seconds = time.monotonic() - started

    assert server.connections == 1
    assert 3 <= worker_seconds < 3 * 2 + 2
    notification.refresh_from_db()
    assert notification.status == "pending"  # rescheduled, not lost
    assert notification.attempts == 1
    assert "no answer in time" in notification.last_error
    assert notification.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert notification.claim_token is None and notification.claimed_until is None
    assert DBTaskResult.objects.get(task_path__endswith="deliver_notifications").status == (
        "SUCCESSFUL"
    )


@pytest.mark.django_db(transaction=True)
def test_a_queue_that_cannot_be_reached_fails_no_page_and_cron_delivers_its_mail(
    client, customer, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}
    response = client.post(reverse("portal:password_reset"), {"email": customer.email})
    assert response.status_code == 302
    assert mail.outbox == []
    assert "1 sent, 0 failed" in cron()
    assert [m.to for m in mail.outbox] == [[customer.email]]


def test_mail_queued_while_the_server_refuses_for_an_hour_is_delivered_once_it_answers(
    settings, clock
):
    port = free_port()  # nothing listens there: every connection is refused
    use_smtp(settings, port, timeout=2)
    enqueue(3)
    clock.advance(seconds=1)  # the messages were stamped by the real clock, a moment on
    for _minute in range(60):
        assert "0 sent" in cron()
        clock.advance(minutes=1)
    refused = list(Notification.objects.order_by("recipient"))
    assert {n.status for n in refused} == {"pending"}
    assert {n.attempts for n in refused} == {6}  # minutes 0, 1, 3, 7, 15 and 31
    assert "ConnectionRefusedError" in refused[0].last_error

    with smtp_server(port) as (_, inbox):
        for _minute in range(60):
            cron()
            if not Notification.objects.filter(status="pending").exists():
                break
            clock.advance(minutes=1)
        for _minute in range(10):  # later runs send nothing again
            cron()
            clock.advance(minutes=1)

    assert sorted(inbox.received) == [(f"dpo{n}@customer.test", "Notice") for n in range(3)]
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 7)}


def test_a_worker_gives_up_on_a_server_that_greets_and_then_falls_silent_at_its_deadline(
    settings, db
):
    (notification,) = enqueue()
    with silent_server(greeting=b"220 mail.test ESMTP\r\n") as server:
        use_smtp(settings, server.port, timeout=30)
        session = transport_for("email").open()
        assert isinstance(session, EmailSession)
        started = time.monotonic()
        with pytest.raises(OSError):
            session.send(notification, deadline=time.monotonic() + 0.5)
        session.close()
    assert time.monotonic() - started < 5  # the deadline, not the 30 s timeout


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_two_workers_never_take_the_same_message(recording):
    """Worker A claims a batch and hangs on its first message; worker B, meanwhile, finds only
    the rest."""
    enqueue(30)
    b_done = threading.Event()

    def hold(name: str) -> None:
        if name == "worker-a":
            b_done.wait(timeout=20)

    recording.hold = hold

    def work(name: str, done: threading.Event | None = None) -> None:
        try:
            notifications_deliver(batch=10)
        finally:
            connections.close_all()
            if done is not None:
                done.set()

    a = threading.Thread(target=work, args=("worker-a",), name="worker-a")
    a.start()
    deadline = time.monotonic() + 20
    while not Notification.objects.filter(claim_token__isnull=False).exists():
        assert a.is_alive() and time.monotonic() < deadline, "worker A claimed nothing"
        time.sleep(0.01)
    b = threading.Thread(target=work, args=("worker-b", b_done), name="worker-b")
    b.start()
    b.join(timeout=30)
    a.join(timeout=30)

    recipients = [to for _, to in recording.sent]
    assert sorted(recipients) == sorted(f"dpo{n}@customer.test" for n in range(30))
    assert Counter(name for name, _ in recording.sent) == {"worker-a": 10, "worker-b": 20}
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_workers_racing_for_the_same_rows_send_each_message_once(recording):
    enqueue(200)
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait(timeout=10)
            notifications_deliver(batch=5)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, name=f"worker-{n}") for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    recipients = [to for _, to in recording.sent]
    assert len(recipients) == 200 and len(set(recipients)) == 200
    assert len({name for name, _ in recording.sent}) > 1  # they did share the work
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


def _database_url() -> str:
    params = connection.settings_dict
    login = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    return f"postgres://{login}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_a_worker_killed_mid_send_leaves_the_message_to_the_next_run_once_its_claim_expires(
    settings, clock, queued_only
):
    (notification,) = enqueue(subject="Breach notice")
    with silent_server() as server:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": django_settings.SECRET_KEY,
            "AUDIT_CHAIN_KEY": django_settings.AUDIT_CHAIN_KEY,
            "OUTBOX_ENCRYPTION_KEY": django_settings.OUTBOX_ENCRYPTION_KEY,
            "DATABASE_URL": _database_url(),
            "DATABASE_POOL_MAX_SIZE": "0",
            "EMAIL_URL": f"smtp://127.0.0.1:{server.port}",
            "EMAIL_TIMEOUT": "60",
        }
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "send_notifications"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while server.connections == 0 and time.monotonic() < deadline:
                assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
                time.sleep(0.05)
            assert server.connections == 1  # it claimed the message and is waiting on the server
        finally:
            worker.kill()  # SIGKILL: no cleanup, as a lost machine
            worker.wait(timeout=10)

    notification.refresh_from_db()
    assert notification.status == "pending" and notification.attempts == 1
    assert notification.claimed_until is not None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "0 sent" in cron()  # its claim still holds: nobody else sends it
    assert mail.outbox == []

    clock.now = notification.claimed_until + timedelta(seconds=1)
    assert "1 sent" in cron()
    assert [m.subject for m in mail.outbox] == ["Breach notice"]
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.attempts == 2
    reasons = list(
        notification.history.order_by("history_date", "history_id").values_list(
            "history_change_reason", "last_error"
        )
    )
    assert reasons[-2][0] == "notifications.claimed"
    assert reasons[-2][1].startswith("The previous attempt did not finish")
    assert reasons[-1][0] == "notifications.sent"
    assert "0 sent" in cron() and len(mail.outbox) == 1


def test_only_the_sender_that_holds_the_claim_records_the_outcome(settings, clock):
    (notification,) = enqueue()
    clock.advance(seconds=1)
    first = notification_claim()
    (mine,) = first.notifications
    clock.advance(seconds=claim_length(transport_for("email")).total_seconds() + 1)
    second = notification_claim()  # the first sender was too slow: its claim expired
    assert [n.pk for n in second.notifications] == [notification.pk]

    assert notification_record(notification=mine, token=first.token, error=None) is False
    notification.refresh_from_db()
    assert notification.status == "pending" and notification.claim_token == second.token

    assert notification_record(notification=second.notifications[0], token=second.token, error=None)
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.claim_token is None


def test_a_slow_batch_renews_its_claim_and_sends_every_message_once(settings, recording):
    # A claim is 2 x 0.2 s plus the 5 s margin, of which 0.4 s are for sending; six messages
    # of 0.15 s each outlast it, so the sender renews its claim on the way.
    settings.EMAIL_TIMEOUT = 0.2
    recording.hold = lambda name: time.sleep(0.15)
    enqueue(6)
    assert notifications_deliver(batch=6) == (6, 0)
    assert sorted(to for _, to in recording.sent) == [f"dpo{n}@customer.test" for n in range(6)]
    renewed = Notification.history.filter(history_change_reason="notifications.claim_renewed")
    assert renewed.exists()
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_message_of_a_channel_without_a_transport_waits_visibly(settings):
    (notification,) = enqueue(channel="carrier-pigeon")
    assert notifications_deliver() == (0, 1)
    notification.refresh_from_db()
    assert notification.status == "pending"
    assert notification.last_error == (
        "DeliveryError: No transport delivers the channel 'carrier-pigeon'."
    )


def test_each_message_s_queueing_claim_and_outcome_are_history_rows_in_the_trail(recording):
    enqueue(3)
    assert notifications_deliver() == (3, 0)
    trail_seal_pending()
    reasons = Counter(Notification.history.values_list("history_change_reason", flat=True))
    assert reasons == {
        "notifications.queued": 3,
        "notifications.claimed": 3,
        "notifications.sent": 3,
    }
    chained = TrailEntry.objects.filter(history_model="notifications.historicalnotification")
    assert chained.count() == 9
    assert trail_verify().ok
