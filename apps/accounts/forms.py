from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.identity import email_normalise
from apps.accounts.two_factor import two_factor_confirm
from apps.core.legaltime import time_zone_choices, time_zone_is_valid
from apps.core.widgets import WrittenOptionsMixin


class TimeZoneSelect(WrittenOptionsMixin, forms.Select):
    """About 450 zones: written in Python, not one template render per option."""


class TimeZoneChoiceField(forms.ChoiceField):
    """An IANA time zone, or empty for the default `blank_label` names. Any zone the tz database
    knows is valid, so a legacy name stored earlier (US/Eastern) survives a save."""

    widget = TimeZoneSelect

    def __init__(self, *, blank_label: str = "Default", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices=[("", blank_label), *time_zone_choices()], **kwargs)
        self.error_messages["invalid_choice"] = (
            "“%(value)s” is not a time zone: choose one of the list, such as Europe/Berlin."
        )

    def valid_value(self, value) -> bool:
        return value == "" or time_zone_is_valid(str(value))


class IdentityEmailField(forms.EmailField):
    """An email address that names an account: normalised (apps.accounts.identity) before it
    is validated, looked up or counted, so "ANN@X.TEST" and "ann@x.test" are one person."""

    def to_python(self, value):
        value = super().to_python(value)
        return email_normalise(value) if value else value


class StaffPasswordForm(AuthenticationForm):
    """The password step of the staff enrolment in two-factor authentication."""

    username = IdentityEmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


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


class StaffTimeZoneForm(forms.Form):
    def __init__(self, *args, processor_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = TimeZoneChoiceField(
            blank_label=f"The processor's ({processor_zone})",
            label="Your time zone",
            help_text="Times in the admin are shown in this zone, with its abbreviation.",
        )
