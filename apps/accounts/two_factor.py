"""Two-factor authentication (TOTP, with single-use recovery codes) for staff and customers.

Both doors call these: the staff enrolment (apps.accounts.views), the admin's sign-in
(apps.accounts.admin_site) and the portal's sign-in and account pages (apps.portal.views.signin).
So a device is set up, a code checked, a device confirmed and a wrong code recorded the same way
whichever door it comes through; the doors keep only their pages and messages.
"""

from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import SecurityEvent, User
from apps.accounts.services import security_event_record

RECOVERY_CODES = 10
TOO_MANY_WRONG_CODES = "Too many wrong codes in a row. Wait a few seconds, then try again."


def has_confirmed_device(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp_device(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up; one per user, replaced on each new start."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def base32_secret(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = BytesIO()
    image.save(out)
    return out.getvalue().decode()


def _typed_code(token: str) -> str:
    # Apps show the code as "123 456"; people copy it with the space.
    return token.strip().replace(" ", "")


def device_for_code(*, user: User, token: str) -> Device | None:
    """The one rule for which device a typed code belongs to, in the portal and the admin alike:
    six digits come from the authenticator app; anything else is a recovery code. Only that
    device is tried, so a typo does not count a failure against the other one."""
    token = _typed_code(token)
    if token.isdigit() and len(token) == 6:
        return TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def _token_check(*, device: Device, token: str) -> bool:
    """Whether `token` is the device's code; a ValidationError while the device is throttled.

    Not in a transaction: a wrong code must leave its failure count behind (throttling).
    """
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise ValidationError(TOO_MANY_WRONG_CODES)
    return device.verify_token(token)


def two_factor_code_verify(*, user: User, token: str, request: HttpRequest | None = None) -> Device:
    """The confirmed device (authenticator or recovery codes) that `token` belongs to, or a
    ValidationError with a message for the person. A wrong code is a failed sign-in in the
    security events: whoever typed it has the password."""
    token = _typed_code(token)
    device = device_for_code(user=user, token=token)
    if device is None:
        raise ValidationError("That code does not match.")
    if not _token_check(device=device, token=token):
        security_event_record(
            kind=SecurityEvent.Kind.LOGIN_FAILED,
            request=request,
            user=user,
            username=user.email,
            detail="wrong two-factor code",
        )
        raise ValidationError("That code does not match. Try the newest code from your app.")
    return device


def two_factor_code_match(*, user: User, token: str) -> Device | None:
    """The confirmed device `token` belongs to if it matches, else None: for a wrong code, for no
    device, and while the device is throttled alike.

    For the staff sign-in, which asks for password and code at once and must answer every
    refusal with the same words (a different one would tell that the password was right). The
    caller records the failure, as a failed login that counts toward the lockout.
    """
    token = _typed_code(token)
    device = device_for_code(user=user, token=token)
    if device is None:
        return None
    try:
        return device if _token_check(device=device, token=token) else None
    except ValidationError:  # throttled: refused like any wrong code
        return None


def two_factor_confirm(*, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator being set up with a code from it; returns fresh recovery codes,
    shown once.

    A wrong code here is not a security event: the person has just set the device up. Only the
    confirmation runs in a transaction, so that a wrong code keeps its failure count.
    """
    if not _token_check(device=device, token=_typed_code(token)):
        raise ValidationError(
            "That code does not match. Check the time on your phone and try the newest code."
        )
    with transaction.atomic():
        device.confirmed = True
        device.save()
        return recovery_codes_reset(user=device.user)


@transaction.atomic
def recovery_codes_reset(*, user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    for code in codes:
        device.token_set.create(token=code)
    return codes


@transaction.atomic
def two_factor_remove(*, user: User) -> None:
    """Turn two-factor authentication off: the authenticator and the recovery codes go."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
