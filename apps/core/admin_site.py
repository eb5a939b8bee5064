from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class StaffLoginForm(OTPAdminAuthenticationForm):
    """Email, password and one code, in one step.

    The code says which device it belongs to: six digits come from the authenticator app,
    anything else is a recovery code. Only that device is tried, so a typo does not count a
    failure against the other one.
    """

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if token.isdigit() and len(token) == 6:
            return TOTPDevice.objects.filter(user=user, confirmed=True).first()
        return StaticDevice.objects.filter(user=user, confirmed=True).first()


class StaffAdminSite(OTPAdminSite):
    """The admin: staff only, and only after a second factor (TOTP or a recovery code)."""

    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"
    site_header = "Records of processing"
    site_title = "Records of processing"
    index_title = "Register administration"
