"""The staff admin site: staff only, and only after a second factor (TOTP or a recovery code)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.views.decorators.debug import sensitive_variables
from django_otp.admin import OTPAdminSite

from apps.accounts.forms import IdentityEmailField
from apps.accounts.two_factor import two_factor_code_match


class StaffLoginForm(AdminAuthenticationForm):
    """Email, password and one code, in one step.

    Every refusal reads the same and counts toward the lockout: a wrong password, and the right
    password with a wrong, missing or throttled code or on an account that is not staff. Other
    words for "right password, wrong code" would tell whoever guesses that half the secret is
    right; a refusal the lockout did not count would tell it by the lockout never coming. Which
    device a code belongs to is decided in apps.accounts.two_factor, as for the portal.
    """

    username = IdentityEmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    otp_token = forms.CharField(label="Code", max_length=64)

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Invalid sign-in: check the email address, the password and the code. A code from "
            "your app lasts 30 seconds; after a few wrong codes, wait a moment before the next "
            "try."
        ),
    }

    @sensitive_variables()
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            # authenticate() has sent user_login_failed: the lockout and the security events
            # have counted this failure already.
            raise self.get_invalid_login_error()
        reason = self.second_factor_refusal(user)
        if reason:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": username},
                request=self.request,
                reason=reason,
            )
            raise self.get_invalid_login_error()
        self.user_cache = user
        return self.cleaned_data

    def second_factor_refusal(self, user) -> str:
        """Why a user whose password was right may not come in, for the security events; "" if
        they may. On success the device rides on the user, for django-otp's login hook."""
        if not (user.is_active and user.is_staff):
            return "not a staff account"
        device = two_factor_code_match(user=user, token=self.cleaned_data.get("otp_token") or "")
        if device is None:
            return "wrong two-factor code"
        user.otp_device = device
        return ""


class StaffAdminSite(OTPAdminSite):
    """The admin: staff only, and only after a second factor (TOTP or a recovery code)."""

    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"
    site_header = "Records of processing"
    site_title = "Records of processing"
    index_title = "Register administration"
