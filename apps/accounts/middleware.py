from django.conf import settings
from django.core.exceptions import PermissionDenied

from apps.accounts.models import SecurityEvent
from apps.accounts.services import security_event_record


class SessionIdleTimeoutMiddleware:
    """Sessions end after a period without requests; staff sessions sooner than customers'."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            idle = (
                settings.STAFF_SESSION_IDLE_SECONDS
                if user.is_staff
                else settings.SESSION_COOKIE_AGE
            )
            # With SESSION_SAVE_EVERY_REQUEST each request pushes the end of the session on.
            if request.session.get("_session_expiry") != idle:
                request.session.set_expiry(idle)
        return self.get_response(request)


class PermissionDeniedLogMiddleware:
    """Records every refusal (HTTP 403) as a security event."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            security_event_record(
                kind=SecurityEvent.Kind.PERMISSION_DENIED,
                request=request,
                detail=f"{request.method} refused",
            )
        return None
