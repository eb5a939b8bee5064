import functools
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from apps.accounts.models import SecurityEvent
from apps.accounts.services import security_event_record

# When the session last pushed its idle expiry on (seconds since the epoch).
SESSION_REFRESHED_KEY = "_session_refreshed_at"


def session_idle_seconds(user) -> int:
    return settings.STAFF_SESSION_IDLE_SECONDS if user.is_staff else settings.SESSION_COOKIE_AGE


def session_refresh(session, user) -> None:
    """Make the session end after the user's idle time from now (staff sooner than customers);
    it is saved with the response."""
    idle = session_idle_seconds(user)
    if session.get("_session_expiry") != idle:
        session.set_expiry(idle)
    session[SESSION_REFRESHED_KEY] = int(time.time())


class SessionDeviceOTPMiddleware(OTPMiddleware):
    """django-otp's middleware (request.user.otp_device: the device the session was verified
    with, or None), without a query of its own when the user came from UserAccessBackend: the
    session's device must be one of the user's confirmed devices read with the user. A device
    removed or no longer confirmed, or an account deactivated, is refused as before; the device
    itself is read only if something asks for more than whether there is one."""

    def _verify_user_sync(self, request, user):
        confirmed = getattr(user, "confirmed_devices", None)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if confirmed is None or not persistent_id:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = self._normalize_persistent_id(persistent_id)
        if persistent_id in confirmed:
            user.otp_device = SimpleLazyObject(
                functools.partial(Device.from_persistent_id, persistent_id)
            )
        else:
            user.otp_device = None
            del request.session[DEVICE_ID_SESSION_KEY]
        return user


class SessionIdleTimeoutMiddleware:
    """Sessions end after a period without requests; staff sessions sooner than customers'.

    A request pushes the end of the session on by saving it, but at most once every
    SESSION_REFRESH_SECONDS: a page read within that time of the last save writes nothing, and
    a session then ends between IDLE - SESSION_REFRESH_SECONDS and IDLE seconds after the last
    request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            refreshed = session.get(SESSION_REFRESHED_KEY)
            if (
                refreshed is None
                or time.time() - refreshed >= settings.SESSION_REFRESH_SECONDS
                or session.get("_session_expiry") != session_idle_seconds(user)
            ):
                session_refresh(session, user)
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
