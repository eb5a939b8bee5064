import threading
from collections.abc import Callable

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


class RecordingBackend(BaseEmailBackend):
    """Keeps (thread name, recipient) of every message, from any thread; `hold` may make a
    thread wait inside a send, as a slow mail server would."""

    sent: list[tuple[str, str]] = []
    lock = threading.Lock()
    hold: Callable[[str], None] | None = None

    def send_messages(self, email_messages):
        name = threading.current_thread().name
        for message in email_messages:
            if RecordingBackend.hold is not None:
                RecordingBackend.hold(name)
            with RecordingBackend.lock:
                RecordingBackend.sent.append((name, message.to[0]))
        return len(email_messages)
