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


class SecurityEventMiddleware:
    """Records refusals (HTTP 403) and every download of a file (an export: any response sent as
    an attachment) as security events, in one place whatever view produced them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        disposition = response.get("Content-Disposition", "")
        if disposition.startswith("attachment") and response.status_code == 200:
            filename = disposition.partition("filename=")[2].strip('"')
            security_event_record(
                kind=SecurityEvent.Kind.EXPORT,
                request=request,
                detail=f"{filename} from {request.path}" if filename else request.path,
            )
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            security_event_record(
                kind=SecurityEvent.Kind.PERMISSION_DENIED,
                request=request,
                detail=f"{request.method} refused",
            )
        return None
