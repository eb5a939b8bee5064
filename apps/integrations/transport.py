"""The outbox's "webhook" channel: post a message, signed as Standard Webhooks specifies.

The outbox (apps.notifications.delivery) claims due deliveries, calls `send` outside any
transaction with a deadline, records the outcome and retries failures with its back-off. This
module only posts: it signs the body with the endpoint's secret (`standardwebhooks`), gives up
on every step after WEBHOOK_TIMEOUT seconds and shuts the socket at the deadline, follows no
redirect, and refuses an address outside the public internet (unless
WEBHOOK_ALLOW_PRIVATE_TARGETS), checked on the address actually connected to, after the name
was resolved, so a name that resolves to an internal service reaches nothing.

Each try is recorded as a WebhookAttempt with the response code (services.py), which may pause
an endpoint that keeps failing.
"""

import contextlib
import datetime
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from standardwebhooks.webhooks import Webhook

from apps.integrations.models import WebhookEndpoint, WebhookMessage
from apps.integrations.services import WEBHOOK_CHANNEL, webhook_attempt_record
from apps.notifications.models import Notification
from apps.notifications.transports import DeliveryError, transport_register

USER_AGENT = "ropa-webhooks/1"
# What we read of a receiver's answer: its status line matters, its body does not.
RESPONSE_READ_LIMIT = 64 * 1024


def _check_peer(sock: socket.socket) -> None:
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return
    address = ipaddress.ip_address(sock.getpeername()[0])
    if not address.is_global:
        raise DeliveryError(
            f"The endpoint's name resolves to {address}, which is not a public address."
        )


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, *, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)

    def connect(self) -> None:
        # The address is checked before the TLS handshake sends anything to it.
        http.client.HTTPConnection.connect(self)
        _check_peer(self.sock)
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)


@contextlib.contextmanager
def _abort_at(deadline: float, connection: http.client.HTTPConnection):
    """Shut the socket at `deadline`: a receiver that answers each step in time but drips
    cannot keep a delivery in flight past its claim."""

    def abort() -> None:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(deadline - time.monotonic(), 0.0), abort)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def webhook_post(
    *, url: str, body: str, headers: dict[str, str], timeout: float, deadline: float
) -> int:
    """POST `body` to `url` and return the response's status code."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _GuardedHTTPSConnection(host, parts.port, timeout=timeout)
    else:
        connection = _GuardedHTTPConnection(host, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        with _abort_at(deadline, connection):
            connection.request("POST", path, body=body.encode(), headers=headers)
            response = connection.getresponse()
            response.read(RESPONSE_READ_LIMIT)
            return response.status
    finally:
        connection.close()


def webhook_headers(*, secret: str, message_id: str, body: str, at: datetime.datetime) -> dict:
    """The Standard Webhooks headers for one try (the timestamp is the try's)."""
    at = at.astimezone(datetime.UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body),
    }


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, TimeoutError | socket.timeout):
        text = f"no answer in time ({text})"
    return f"{type(error).__name__}: {text}"[:500]


class WebhookSession:
    """Deliveries of one claimed batch; each opens its own connection (receivers differ)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def send(self, notification: Notification, *, deadline: float) -> None:
        message = (
            WebhookMessage.objects.select_related("endpoint")
            .filter(pk=int(notification.related_id or 0))
            .first()
        )
        if message is None:
            raise DeliveryError("The webhook endpoint or its message was deleted.")
        endpoint = message.endpoint
        if endpoint.status != WebhookEndpoint.Status.ACTIVE:
            raise DeliveryError("The webhook endpoint is paused; nothing was sent.")
        if time.monotonic() >= deadline:
            raise DeliveryError("The claim ran out before the message could be sent.")
        body = message.payload
        started = time.monotonic()
        status_code: int | None = None
        error = ""
        try:
            status_code = webhook_post(
                url=endpoint.url,
                body=body,
                headers=webhook_headers(
                    secret=endpoint.secret,
                    message_id=message.message_id,
                    body=body,
                    at=datetime.datetime.now(datetime.UTC),
                ),
                timeout=self.timeout,
                deadline=deadline,
            )
        except Exception as failure:  # refused, unreachable, timed out, bad TLS, not HTTP
            error = _describe(failure)
        duration_ms = int((time.monotonic() - started) * 1000)
        if status_code is not None and not 200 <= status_code < 300:
            error = f"The endpoint answered HTTP {status_code}."
        webhook_attempt_record(
            message=message,
            delivery_id=notification.pk,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
        if error:
            raise DeliveryError(error)

    def close(self) -> None:
        return None


class WebhookTransport:
    channel = WEBHOOK_CHANNEL
    label = "Webhook"

    @property
    def timeout(self) -> float:
        return settings.WEBHOOK_TIMEOUT

    def open(self) -> Any:
        return WebhookSession(self.timeout)


def webhook_transport_register() -> None:
    transport_register(WebhookTransport())
