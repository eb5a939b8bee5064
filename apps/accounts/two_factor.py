"""Two-factor authentication for staff (TOTP, with single-use recovery codes)."""

from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp_device(user) -> TOTPDevice:
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


def two_factor_confirm(*, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a code from it; returns fresh recovery codes, shown once.

    Not atomic as a whole: a wrong code must leave its failure count behind (throttling), so
    only the confirmation itself runs in a transaction.
    """
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise ValidationError("Too many wrong codes in a row. Wait a few seconds, then try again.")
    if not device.verify_token(token.strip().replace(" ", "")):
        raise ValidationError(
            "That code does not match. Check the time on your phone and try the newest code."
        )
    with transaction.atomic():
        device.confirmed = True
        device.save()
        return recovery_codes_reset(user=device.user)


@transaction.atomic
def recovery_codes_reset(*, user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    for code in codes:
        device.token_set.create(token=code)
    return codes
