"""How a message leaves: one transport per channel.

The claim, retry and record machinery (services.py) knows nothing of e-mail. It opens a session
of the transport registered for the claimed messages' channel and hands it one message at a
time, with a deadline. E-mail is the first transport; a signed webhook is a second one with its
own channel (its `open` makes an HTTP client, its `send` POSTs the body to the recipient URL
with a signature), registered with `transport_register`, and the machinery stays as it is.

A transport promises two things the machinery relies on:
- every step that waits on the other side gives up after `timeout` seconds;
- `send` puts nothing on the wire after its deadline (a `time.monotonic()` value): the
  message is claimed until shortly after, and past that another sender may take it.
"""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from apps.notifications.models import Notification


class DeliveryError(Exception):
    """The transport could not deliver; the text says why (the admin shows it)."""


class Session(Protocol):
    def send(self, notification: Notification, *, deadline: float) -> None: ...

    def close(self) -> None: ...


class Transport(Protocol):
    channel: str
    label: str

    @property
    def timeout(self) -> float: ...

    def open(self) -> Session: ...


_TRANSPORTS: dict[str, Transport] = {}


def transport_register(transport: Transport) -> Transport:
    _TRANSPORTS[transport.channel] = transport
    return transport


def transport_for(channel: str) -> Transport:
    try:
        return _TRANSPORTS[channel]
    except KeyError:
        raise DeliveryError(f"No transport delivers the channel {channel!r}.") from None


def transport_channels() -> list[tuple[str, str]]:
    """(channel, label) of every registered transport."""
    return sorted((t.channel, t.label) for t in _TRANSPORTS.values())


@contextlib.contextmanager
def _abort_socket_at(deadline: float, backend: Any) -> Iterator[None]:
    """Shut the SMTP socket down at `deadline`: a server that answers, but slower than each
    step's timeout allows to add up, cannot keep a message in flight past its claim."""

    def abort() -> None:
        sock = getattr(getattr(backend, "connection", None), "sock", None)
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


class EmailSession:
    """One connection to the mail server (settings.EMAIL_BACKEND) for a batch of messages."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.broken = False

    def send(self, notification: Notification, *, deadline: float) -> None:
        if self.broken:  # the last message broke the connection: a fresh one for this one
            try:
                self.backend.open()
            except BaseException:
                self._drop()
                raise
            self.broken = False
        if time.monotonic() >= deadline:
            raise DeliveryError("The claim ran out before the message could be sent.")
        message = EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
            connection=self.backend,
        )
        with _abort_socket_at(deadline, self.backend):
            try:
                sent = self.backend.send_messages([message])
            except BaseException:
                self._drop()
                raise
        if not sent:
            raise DeliveryError("The mail server took no recipient of the message.")

    def _drop(self) -> None:
        """Forget the connection without a polite QUIT, which a hung server would not answer."""
        self.broken = True
        smtp = getattr(self.backend, "connection", None)
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()
            self.backend.connection = None

    def close(self) -> None:
        if self.broken:
            self._drop()
            return
        with contextlib.suppress(Exception):  # the messages are recorded; a failed QUIT is not
            self.backend.close()


class EmailTransport:
    channel = "email"
    label = "E-mail"

    @property
    def timeout(self) -> float:
        return settings.EMAIL_TIMEOUT

    def open(self) -> EmailSession:
        backend = get_connection(fail_silently=False, timeout=self.timeout)
        session = EmailSession(backend)
        try:
            backend.open()
        except BaseException:
            session._drop()
            raise
        return session


transport_register(EmailTransport())
