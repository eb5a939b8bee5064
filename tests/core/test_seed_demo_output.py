"""What `make demo` shows a newcomer: the logins table, not the demo's e-mails."""

from io import StringIO

from django.core.management import call_command

from apps.notifications.delivery import notifications_deliver
from apps.notifications.models import Notification


def test_seed_demo_prints_the_logins_and_leaves_no_demo_email_for_the_worker(db, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "Demo password for every login below: calljmp-demo-2026" in printed
    for login in ("privacy@calljmp.example", "alex@acme-fitness.example"):
        assert login in printed
    assert "TOTP secret" in printed
    # The worker `make demo` starts next delivers what is still due, here on the console.
    assert notifications_deliver() == (0, 0)
    console = capsys.readouterr().out
    assert "Subject:" not in printed and "Subject:" not in console
    assert Notification.objects.filter(status=Notification.Status.SENT).count() >= 7
    assert not Notification.objects.filter(status=Notification.Status.PENDING).exists()
