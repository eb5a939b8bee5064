from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.demo.management.commands.seed_demo import DEMO_PASSWORD


def current_code(email: str) -> str:
    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def staff_login(page, email: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Code").fill(current_code(email))
    page.shoot("admin-login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def customer_login(page, email: str) -> None:
    page.goto("/portal/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.shoot("portal-login")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")
