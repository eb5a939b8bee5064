from axes.signals import user_locked_out
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from apps.accounts.middleware import session_refresh
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


def record_last_login(sender, user, **kwargs):
    """Django's update_last_login, without a history row: the password and last_login are
    outside the user's history, so a sign-in would write a row with no change in it. Sign-ins
    are in the sign-in log (django-axes) instead."""
    user.last_login = timezone.now()
    user.skip_history_when_saving = True
    try:
        user.save(update_fields=["last_login"])
    finally:
        del user.skip_history_when_saving


@receiver(user_logged_in, dispatch_uid="accounts.session_refresh")
def start_idle_time(sender, user, request=None, **kwargs):
    # A sign-in saves the session: its idle time starts there (SessionIdleTimeoutMiddleware).
    if request is not None and hasattr(request, "session"):
        session_refresh(request.session, user)


user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
user_logged_in.connect(record_last_login, dispatch_uid="accounts.last_login")
