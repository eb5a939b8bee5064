"""Mail servers for the delivery tests, each in a thread on 127.0.0.1: one that takes the
connection and never says a word, and a real SMTP server (aiosmtpd) that keeps what it gets."""

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nothing listens on (so a connection to it is refused until a server starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SilentServer:
    port: int
    connections: int = 0


@contextlib.contextmanager
def silent_server(greeting: bytes = b"") -> Iterator[SilentServer]:
    """Accepts every connection and never answers: no greeting (or only `greeting`), no reply,
    no close."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    server = SilentServer(port=listener.getsockname()[1])
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            server.connections += 1
            if greeting:
                conn.sendall(greeting)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        listener.close()


@dataclass
class Inbox:
    """What the SMTP server accepted: (recipient, subject) per message, in order."""

    received: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        subject = ""
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("subject:"):
                subject = line.split(":", 1)[1].strip()
                break
        with self.lock:
            self.received.extend((rcpt, subject) for rcpt in envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def use_smtp(settings, port: int, timeout: float) -> None:
    """Point Django's SMTP backend at 127.0.0.1:port, plain, with this timeout."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = timeout
