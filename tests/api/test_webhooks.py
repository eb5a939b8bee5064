"""Webhooks: events become signed deliveries posted by the outbox's worker to a real HTTP server
on this machine, retried with back-off, recorded with their response codes, replayable, and an
endpoint that keeps failing is paused and its admins told."""

import contextlib
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.breaches.services import (
    breach_controllers_confirm,
    breach_notify_controllers,
    breach_update_add,
    breach_update_send,
)
from apps.dsar.services import dsar_reply_add, dsar_ticket_transition
from apps.integrations.models import WebhookAttempt, WebhookEndpoint, WebhookEvent, WebhookMessage
from apps.integrations.services import (
    webhook_endpoint_create,
    webhook_endpoint_resume,
    webhook_message_replay,
)
from apps.notifications.delivery import notifications_deliver
from apps.notifications.models import Notification
from apps.subprocessors.models import Objection
from apps.subprocessors.services import (
    objection_resolve,
    subprocessor_change_announce,
    subprocessor_changes_apply,
)
from tests.factories import (
    BreachIncidentFactory,
    DsarTicketFactory,
    StaffFactory,
    SubprocessorFactory,
)

Event = WebhookEvent


class Receiver:
    """An HTTP server in a thread that records each POST and answers the statuses given, in
    turn (200 once they run out)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append((headers, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/records"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class Clock:
    """timezone.now, moved by hand: a day of retries takes no day."""

    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def local_targets(settings):
    # The receiver is on this machine: plain http and a loopback address are allowed here only.
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT = 2


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def staff(db):
    return StaffFactory()


def deliver_webhooks() -> tuple[int, int]:
    """The outbox's sender, run for the webhook deliveries (the e-mails are left alone)."""
    return notifications_deliver(
        ids=Notification.objects.filter(channel="webhook").values_list("pk", flat=True)
    )


def register(controller, admin, url, events=tuple(Event.values)):
    return webhook_endpoint_create(controller=controller, url=url, events=list(events), by=admin)


def verified(secret, headers, body) -> dict:
    """The payload, if the signature holds (standardwebhooks' own verification)."""
    return Webhook(secret).verify(body, headers)


def test_a_status_change_is_posted_by_the_task_queue_signed_as_standard_webhooks_say(
    controller_a, admin_a, staff, local_targets, django_capture_on_commit_callbacks
):
    ticket = DsarTicketFactory(controller=controller_a, data_subject_identifier="alice@app.test")
    with Receiver() as receiver:
        endpoint, secret = register(controller_a, admin_a, receiver.url)
        # The change commits; its callbacks enqueue the outbox's delivery task, which the test
        # backend runs at once, as a worker would after the commit.
        with django_capture_on_commit_callbacks(execute=True):
            dsar_ticket_transition(ticket=ticket, to="in_progress", by=staff, note="On it.")
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    payload = verified(secret, headers, body)
    assert payload["type"] == "request.status_changed"
    assert payload["data"] == {
        "organisation_id": controller_a.pk,
        "request": ticket.reference,
        "from_status": "new",
        "to_status": "in_progress",
        "note": "On it.",
        "changed_at": payload["data"]["changed_at"],
    }
    assert b"alice@app.test" not in body
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert headers["webhook-id"] == message.message_id
    assert headers["content-type"] == "application/json"
    attempt = WebhookAttempt.objects.get(message=message)
    assert (attempt.status_code, attempt.succeeded) == (200, True)
    delivery = Notification.objects.get(channel="webhook")
    assert delivery.status == "sent" and delivery.kind == "webhook.request.status_changed"


def test_a_tampered_delivery_does_not_verify(controller_a, admin_a, staff, local_targets):
    ticket = DsarTicketFactory(controller=controller_a)
    with Receiver() as receiver:
        _, secret = register(controller_a, admin_a, receiver.url)
        dsar_ticket_transition(ticket=ticket, to="in_progress", by=staff)
        deliver_webhooks()
    headers, body = receiver.received[0]
    with pytest.raises(Exception, match="signature"):
        verified(secret, headers, body.replace(b"in_progress", b"completed"))
    with pytest.raises(Exception, match="signature"):
        verified("whsec_" + "A" * 43 + "=", headers, body)


def test_failures_are_retried_with_back_off_under_the_same_id_until_delivered(
    controller_a, admin_a, staff, local_targets, clock
):
    ticket = DsarTicketFactory(controller=controller_a)
    with Receiver(statuses=[500, 503]) as receiver:
        _, secret = register(controller_a, admin_a, receiver.url)
        dsar_ticket_transition(ticket=ticket, to="in_progress", by=staff)
        clock.advance(seconds=1)
        assert deliver_webhooks() == (0, 1)
        delivery = Notification.objects.get(channel="webhook")
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.next_attempt_at == clock.now + timedelta(minutes=1)
        assert "HTTP 500" in delivery.last_error
        assert deliver_webhooks() == (0, 0)  # not due yet: nothing is posted
        clock.advance(minutes=1)
        assert deliver_webhooks() == (0, 1)
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == clock.now + timedelta(minutes=2)
        clock.advance(minutes=2)
        assert deliver_webhooks() == (1, 0)
    assert [a.status_code for a in WebhookAttempt.objects.order_by("pk")] == [500, 503, 200]
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1
    for headers, body in receiver.received:
        assert verified(secret, headers, body)["data"]["request"] == ticket.reference


def test_an_endpoint_that_does_not_answer_in_time_is_a_failed_attempt(
    controller_a, admin_a, staff, local_targets, settings
):
    settings.WEBHOOK_TIMEOUT = 0.5
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections into its backlog and never answers
    with contextlib.closing(silent):
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hooks"
        register(controller_a, admin_a, url)
        dsar_ticket_transition(
            ticket=DsarTicketFactory(controller=controller_a), to="in_progress", by=staff
        )
        assert deliver_webhooks() == (0, 1)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "no answer in time" in attempt.error
    assert attempt.duration_ms < 5000


def test_an_endpoint_that_keeps_failing_is_paused_and_its_admins_told(
    controller_a, admin_a, staff, local_targets, clock, settings
):
    settings.WEBHOOK_PAUSE_MIN_FAILURES = 3
    settings.WEBHOOK_PAUSE_AFTER_HOURS = 1
    with Receiver(statuses=[500] * 100) as receiver:
        endpoint, _ = register(controller_a, admin_a, receiver.url)
        for _ in range(2):
            dsar_ticket_transition(
                ticket=DsarTicketFactory(controller=controller_a), to="in_progress", by=staff
            )
        for _minute in range(180):
            clock.advance(minutes=1)
            deliver_webhooks()
            endpoint.refresh_from_db()
            if endpoint.status == WebhookEndpoint.Status.PAUSED:
                break
        assert endpoint.status == WebhookEndpoint.Status.PAUSED
        assert "failed deliveries in a row" in endpoint.pause_reason
        tried = len(receiver.received)
        # Paused: nothing more is posted, however long we wait.
        for _minute in range(30):
            clock.advance(minutes=10)
            deliver_webhooks()
        assert len(receiver.received) == tried
    told = Notification.objects.get(kind="integrations.webhook_paused")
    assert told.recipient == admin_a.email and endpoint.url in told.subject
    assert not Notification.objects.filter(channel="webhook", status="pending").exists()
    assert set(Notification.objects.filter(channel="webhook").values_list("status", flat=True)) == {
        "cancelled"
    }

    # Resumed once the endpoint answers: what it missed is sent.
    with Receiver() as healed:
        endpoint.url = healed.url  # the customer moved its receiver
        endpoint.save()
        assert webhook_endpoint_resume(endpoint=endpoint, by=admin_a) == 2
        deliver_webhooks()
    assert len(healed.received) == 2


def test_a_delivery_is_replayed_under_its_own_id(controller_a, admin_a, staff, local_targets):
    with Receiver() as receiver:
        endpoint, secret = register(controller_a, admin_a, receiver.url)
        dsar_ticket_transition(
            ticket=DsarTicketFactory(controller=controller_a), to="in_progress", by=staff
        )
        deliver_webhooks()
        message = WebhookMessage.objects.get(endpoint=endpoint)
        webhook_message_replay(message=message, by=admin_a)
        with pytest.raises(ValidationError, match="already on its way"):
            webhook_message_replay(message=message, by=admin_a)
        deliver_webhooks()
    assert [h["webhook-id"] for h, _ in receiver.received] == [message.message_id] * 2
    assert verified(secret, *receiver.received[1])["type"] == "request.status_changed"
    assert WebhookAttempt.objects.filter(message=message).count() == 2


def test_a_name_that_leads_to_a_private_address_is_refused_when_sending(
    controller_a, admin_a, staff, local_targets, settings
):
    with Receiver() as receiver:
        register(controller_a, admin_a, receiver.url.replace("127.0.0.1", "localhost"))
        settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
        dsar_ticket_transition(
            ticket=DsarTicketFactory(controller=controller_a), to="in_progress", by=staff
        )
        assert deliver_webhooks() == (0, 1)
    assert receiver.received == []
    assert "not a public address" in WebhookAttempt.objects.get().error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "https://"),
        ("https://127.0.0.1/x", "public address"),
        ("https://10.1.2.3/x", "public address"),
        ("https://localhost/x", "public address"),
        ("https://user:pw@hooks.example.com/x", "no user name"),
        ("not a url", "full URL"),
    ],
)
def test_an_unsafe_url_is_refused_when_registered(url, message, controller_a, admin_a):
    with pytest.raises(ValidationError, match=message):
        register(controller_a, admin_a, url)
    assert not WebhookEndpoint.objects.exists()


# --- which changes are events ---------------------------------------------------------------


def events_of(endpoint):
    return [
        (m.event_type, json.loads(m.payload)["data"])
        for m in WebhookMessage.objects.filter(endpoint=endpoint).order_by("pk")
    ]


@pytest.fixture
def endpoint_a(controller_a, admin_a):
    return register(controller_a, admin_a, "https://hooks.alpha.example/records")[0]


def test_replies_are_events_and_internal_notes_are_not(endpoint_a, controller_a, admin_a, staff):
    ticket = DsarTicketFactory(controller=controller_a)
    dsar_reply_add(ticket=ticket, author=staff, body="Internal", visible_to_customer=False)
    dsar_reply_add(ticket=ticket, author=staff, body="We found it.", visible_to_customer=True)
    dsar_reply_add(ticket=ticket, author=admin_a, body="Thanks.", visible_to_customer=True)
    replies = [d for t, d in events_of(endpoint_a) if t == Event.REQUEST_REPLY_ADDED]
    assert [(d["author"], d["body"]) for d in replies] == [
        ("processor", "We found it."),
        ("customer", "Thanks."),
    ]


def test_breach_notices_and_updates_are_events(endpoint_a, world_a):
    incident = world_a["incident"]
    update = breach_update_add(incident=incident, text="Contained.", by=incident.owner)
    breach_update_send(update=update, by=incident.owner)
    updates = [d for t, d in events_of(endpoint_a) if t == Event.BREACH_UPDATE]
    assert [(d["breach"], d["phase"], d["text"]) for d in updates] == [
        (incident.reference, 1, "Contained.")
    ]


def test_a_breach_notice_is_an_event(endpoint_a, controller_a, staff):
    incident = BreachIncidentFactory(owner=staff, affected_controllers=[controller_a])
    breach_controllers_confirm(incident=incident, by=staff)
    breach_notify_controllers(incident=incident, by=staff)
    ((event, data),) = events_of(endpoint_a)
    assert event == Event.BREACH_NOTIFIED and data["breach"] == incident.reference


def test_subprocessor_changes_reach_every_subscribed_organisation(
    endpoint_a, controller_b, admin_b, staff, clock
):
    endpoint_b = register(controller_b, admin_b, "https://hooks.bravo.example/x")[0]
    quiet = register(
        controller_b, admin_b, "https://hooks.bravo.example/quiet", [Event.BREACH_UPDATE]
    )[0]
    new = SubprocessorFactory(status="proposed", engaged_on=None, name="New CDN")
    change = subprocessor_change_announce(
        kind="add",
        subprocessor=new,
        description="A new CDN.",
        effective_at=clock.now + timedelta(days=31),
        by=staff,
    )
    clock.advance(days=32)
    subprocessor_changes_apply()
    for endpoint in (endpoint_a, endpoint_b):
        assert [(t, d["change_id"]) for t, d in events_of(endpoint)] == [
            (Event.SUBPROCESSOR_CHANGE_ANNOUNCED, change.pk),
            (Event.SUBPROCESSOR_CHANGE_EFFECTIVE, change.pk),
        ]
    assert events_of(quiet) == []


def test_an_answered_objection_is_an_event_for_its_organisation_only(
    endpoint_a, controller_b, admin_b, world_a, staff
):
    endpoint_b = register(controller_b, admin_b, "https://hooks.bravo.example/x")[0]
    objection = Objection.objects.get(pk=world_a["objection_id"])
    objection_resolve(
        objection=objection,
        status="upheld",
        resolution="Not for you.",
        consequence="not_used",
        by=staff,
    )
    answers = [d for t, d in events_of(endpoint_a) if t == Event.OBJECTION_ANSWERED]
    assert [(d["objection_id"], d["status"], d["resolution"]) for d in answers] == [
        (objection.pk, "upheld", "Not for you.")
    ]
    assert events_of(endpoint_b) == []


def test_a_change_rolled_back_reports_nothing(endpoint_a, controller_a, staff):
    ticket = DsarTicketFactory(controller=controller_a, status="completed")
    with pytest.raises(ValidationError):
        dsar_ticket_transition(ticket=ticket, to="in_progress", by=staff)
    assert events_of(endpoint_a) == []
