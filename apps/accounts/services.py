from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from apps.accounts.models import SecurityEvent, User
from apps.core.history import history_save
from apps.core.legaltime import validate_time_zone


def client_ip(*, request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR is the proxy's address behind a load balancer; gunicorn's forwarded_allow_ips
    # and the proxy are responsible for setting it to the client's.
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    detail: str = "",
) -> SecurityEvent:
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or "")[:254],
        ip_address=client_ip(request=request),
        path=(request.path if request is not None else "")[:500],
        detail=detail[:500],
    )


def password_reset_request_record(*, request: HttpRequest | None, email: str) -> bool:
    """Record a password-reset request; False when this address or this client asked too often.

    Counted from the security events in the database, so the limit holds across app servers.
    The caller answers the same either way: the page never tells whether an address exists or
    whether the limit was reached.
    """
    since = timezone.now() - timedelta(hours=1)
    recent = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED, created_at__gte=since
    )
    ip = client_ip(request=request)
    too_many = recent.filter(
        username__iexact=email
    ).count() >= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS or (
        ip and recent.filter(ip_address=ip).count() >= settings.PASSWORD_RESET_LIMIT_PER_CLIENT
    )
    security_event_record(
        kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED,
        request=request,
        username=email,
        detail="refused: too many requests" if too_many else "",
    )
    return not too_many


def user_time_zone_set(*, user: User, time_zone: str, by: User | None) -> None:
    """A person's own zone for reading times ("" for the default)."""
    time_zone = (time_zone or "").strip()
    if time_zone:
        validate_time_zone(time_zone)
    if user.time_zone == time_zone:
        return
    user.time_zone = time_zone
    history_save(user, by=by, reason="accounts.user.time_zone", update_fields=["time_zone"])
