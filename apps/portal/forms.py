from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from apps.accounts.services import password_reset_request_record
from apps.controllers.models import Membership
from apps.portal.emails import send_email


class LoginForm(AuthenticationForm):
    """Django's login form; the field stays named "username" (axes reads it), labelled email."""

    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class PortalPasswordResetForm(PasswordResetForm):
    def save(self, *args, request=None, **kwargs):
        # Over the limit nothing is sent, and the next page reads the same as ever.
        if password_reset_request_record(request=request, email=self.cleaned_data["email"]):
            super().save(*args, request=request, **kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        send_email(
            to=[to_email],
            subject_template=subject_template_name,
            body_template=email_template_name,
            context=context,
            kind="portal.password_reset",
        )


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
        cleaned = super().clean()
        if cleaned.get("role") == Membership.Role.AUDITOR and not cleaned.get("expires_at"):
            self.add_error("expires_at", "An auditor's access needs an end date.")
        return cleaned
