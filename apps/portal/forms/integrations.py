"""Forms of the portal's API token and webhook pages; the services hold the rules."""

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.dates import start_of
from apps.integrations.models import ApiToken, WebhookEvent


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use it, e.g. “Help desk” or “Compliance dashboard”.",
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text="Read and write lets the token pass on requests, reply, upload files, "
        "acknowledge breach notices and object to changes.",
    )
    includes_history = forms.BooleanField(
        label="Include the change history",
        required=False,
        help_text="Lets the token read who changed what in your records.",
    )
    expires_on = forms.DateField(
        label="Works until the end of",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"At most {settings.API_TOKEN_MAX_DAYS} days from today.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "expires_on", timezone.localdate() + datetime.timedelta(days=90)
            )

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day < today:
            raise ValidationError("Choose today or a later day.")
        if day >= today + datetime.timedelta(days=settings.API_TOKEN_MAX_DAYS):
            raise ValidationError(
                f"A token lasts at most {settings.API_TOKEN_MAX_DAYS} days; choose an earlier day."
            )
        return day

    def expires_at(self) -> datetime.datetime:
        """The end of the chosen day, in the reader's zone (the label says so)."""
        return start_of(self.cleaned_data["expires_on"] + datetime.timedelta(days=1))


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where we POST each event, e.g. https://example.com/hooks/records.",
        widget=forms.URLInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
