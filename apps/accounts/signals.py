from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from apps.accounts.models import SecurityEvent
from apps.accounts.services import security_event_record


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def record_failed_login(sender, credentials, request=None, reason="", **kwargs):
    # `reason` comes from our own senders (the staff sign-in: "wrong two-factor code"); the
    # person is told less, the security reviewer the truth.
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_FAILED,
        request=request,
        username=credentials.get("username") or credentials.get("email") or "",
        detail=reason,
    )


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    security_event_record(
        kind=SecurityEvent.Kind.LOCKED_OUT, request=request, username=username or ""
    )
