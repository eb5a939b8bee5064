"""Forms of the portal's data-subject request pages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.dsar.models import DsarTicket


class PortalTicketSubmitForm(forms.Form):
    """A customer passes on a data-subject request. The hidden token is made when the form is
    rendered: submitting the same form twice returns the ticket already made."""

    request_type = forms.ChoiceField(
        label="Type of request",
        choices=[("", "Choose the right the person exercises")] + DsarTicket.RequestType.choices,
        error_messages={"invalid_choice": "Choose one of the listed types of request."},
    )
    data_subject_identifier = forms.CharField(
        label="How the person is known in your app",
        max_length=200,
        help_text="A user id or the email address the account uses. No other personal data.",
    )
    # Read in the zone active for the request (the reader's); the label names it.
    received_at = forms.DateTimeField(
        label="When your organisation received the request",
        help_text="The one-month deadline of Art. 12(3) runs from the day after. Not in the "
        "future.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    details = forms.CharField(
        label="What is asked",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Describe the request without further personal data about the person.",
    )
    submission_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, zone_name: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["received_at"]
        field.label = f"When your organisation received the request (time in {zone_name})"

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        if received_at > timezone.now():
            raise ValidationError("The date of receipt cannot be in the future.")
        return received_at


class PortalReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write your reply first."},
    )


class PortalWithdrawForm(forms.Form):
    note = forms.CharField(
        label="Why the request is withdrawn (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: the person took the request back.",
    )
