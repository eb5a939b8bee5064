from apps.accounts.models import SecurityEvent


def client_ip(request) -> str | None:
    # REMOTE_ADDR is the proxy's address behind a load balancer; gunicorn's forwarded_allow_ips
    # and the proxy are responsible for setting it to the client's.
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def security_event_record(
    *, kind: str, request=None, user=None, username: str = "", detail: str = ""
) -> SecurityEvent:
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or "")[:254],
        ip_address=client_ip(request),
        path=(request.path if request is not None else "")[:500],
        detail=detail[:500],
    )
