"""Forms of signing in and resetting a password in the portal."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest

from apps.accounts.services import password_reset_request_record
from apps.notifications.emails import send_email


class LoginForm(AuthenticationForm):
    """Django's login form; the field stays named "username" (axes reads it), labelled email."""

    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class PortalPasswordResetForm(PasswordResetForm):
    def save(self, *args: Any, **kwargs: Any) -> None:
        # Over the limit nothing is sent, and the next page reads the same as ever.
        request: HttpRequest | None = kwargs.get("request")
        if password_reset_request_record(request=request, email=self.cleaned_data["email"]):
            super().save(*args, **kwargs)

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
