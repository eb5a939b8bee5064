"""Forms of signing in and resetting a password in the portal."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.accounts.forms import IdentityEmailField, TimeZoneChoiceField
from apps.accounts.models import User
from apps.accounts.services import password_reset_request_record
from apps.notifications.services import notification_enqueue


class LoginForm(AuthenticationForm):
    """Django's login form; the field stays named "username" (axes reads it), labelled email,
    and holds the normalised address (apps.accounts.identity)."""

    username = IdentityEmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter a correct email address and password. Note that the password is "
            "case-sensitive."
        ),
    }


class PortalPasswordResetForm(PasswordResetForm):
    """A reset request does the same work whether or not the address has an account.

    Known or not, the request is recorded (and counted against the limit), a token is made and
    the mail is rendered; only for an active account with a password, and under the limit, is
    the message put in the outbox. So neither the page nor the time it takes tells whether an
    address exists.
    """

    email = IdentityEmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email):
        return [
            user
            for user in User.objects.by_email(email).filter(is_active=True)
            if user.has_usable_password()
        ]

    def save(
        self,
        domain_override: str | None = None,
        subject_template_name: str = "portal/email/password_reset_subject.txt",
        email_template_name: str = "portal/email/password_reset_body.txt",
        use_https: bool = False,
        token_generator: PasswordResetTokenGenerator = default_token_generator,
        from_email: str | None = None,
        request: HttpRequest | None = None,
        html_email_template_name: str | None = None,
        extra_email_context: dict[str, str] | None = None,
    ) -> None:
        email = self.cleaned_data["email"]
        # Over the limit nothing is sent, and the next page reads the same as ever.
        allowed = password_reset_request_record(request=request, email=email)
        users = self.get_users(email)
        # A stand-in, never saved and never mailed, so that an unknown address costs a token
        # and a rendering too.
        recipient = users[0] if users else User(email=email)
        if domain_override:
            site_name = domain = domain_override
        else:
            site = get_current_site(request)
            site_name, domain = site.name, site.domain
        context = {
            "email": recipient.email,
            "domain": domain,
            "site_name": site_name,
            "uid": urlsafe_base64_encode(force_bytes(User._meta.pk.value_to_string(recipient))),
            "user": recipient,
            "token": token_generator.make_token(recipient),
            "protocol": "https" if use_https else "http",
            **(extra_email_context or {}),
        }
        # Rendered here, not by apps.notifications.emails.send_email, so that the rendering is
        # the same step for every address and only the enqueueing depends on the account.
        subject = "".join(render_to_string(subject_template_name, context).splitlines()).strip()
        body = render_to_string(email_template_name, context)
        if allowed and users:
            notification_enqueue(
                recipients=[recipient.email],
                subject=subject,
                body=body,
                kind="portal.password_reset",
                sensitive=True,
            )


class TimeZoneForm(forms.Form):
    """The zone a customer user reads times in; empty follows the organisation's."""

    def __init__(self, *args, organisation_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = TimeZoneChoiceField(
            blank_label=f"Your organisation's ({organisation_zone})",
            label="Your time zone",
            help_text="Times on these pages are shown in this zone. Deadlines still end at "
            "midnight where your organisation is.",
        )
