from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.demo.management.commands.seed_demo import DEMO_DEVICE, STAFF


class Command(BaseCommand):
    help = "Print the current sign-in codes of the demo staff accounts (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo codes are printed only with DEBUG on.")
        devices = TOTPDevice.objects.filter(
            name=DEMO_DEVICE, user__email__in=[email for email, _, _ in STAFF]
        ).select_related("user")
        for device in devices:
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            self.stdout.write(f"{device.user.email:<28} {code:0{device.digits}d}")
        self.stdout.write(
            f"demo_totp: {len(devices)} codes, valid for about {devices[0].step if devices else 30} seconds."
        )
