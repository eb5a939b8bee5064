import io
import signal

from django.core.management import call_command


def run_db_worker() -> None:
    """`manage.py db_worker --batch`: run every waiting task, then stop (its signal handlers
    are put back afterwards, so that Ctrl-C still stops pytest)."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--interval=0",
            stdout=io.StringIO(),
        )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
