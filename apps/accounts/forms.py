from django import forms
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.two_factor import two_factor_confirm


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def confirm(self, *, device: TOTPDevice) -> list[str] | None:
        """Confirm the authenticator being set up with the typed code: the recovery codes to show
        once, or None with the reason on the form (an unbound form is None, with no reason)."""
        if not self.is_valid():
            return None
        try:
            return two_factor_confirm(device=device, token=self.cleaned_data["token"])
        except ValidationError as error:
            self.add_error("token", error)
            return None
