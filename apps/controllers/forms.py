"""The invitation form, shared by the admin (staff invite) and the portal (a customer admin);
the controller's admin form."""

from django import forms

from apps.accounts.forms import TimeZoneChoiceField
from apps.controllers.models import Controller, Membership
from apps.core.admin import OneQueryPerManyToManyForm


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    full_name = forms.CharField(label="Name", max_length=200)
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        help_text=(
            "Admins read everything and manage members; members read everything; "
            "auditors read everything until their access ends."
        ),
    )
    expires_at = forms.DateTimeField(
        label="Access ends",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Required for auditors; leave empty for admins and members without an end.",
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("role") == Membership.Role.AUDITOR and not cleaned.get("expires_at"):
            self.add_error("expires_at", "An auditor's access needs an end date.")
        return cleaned


class ControllerAdminForm(OneQueryPerManyToManyForm):
    """The controller in the admin: its time zone chosen from the tz database's names."""

    time_zone = TimeZoneChoiceField(
        blank_label="The main time zone of its country",
        label="Time zone",
        help_text=Controller._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = Controller
        fields = "__all__"
