"""Staff enrolment in two-factor authentication.

The admin asks for email, password and a code in one form, so a staff member without an
authenticator first proves the password here, scans the secret, confirms it with a code, receives
recovery codes once, and is then signed in to the admin.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from apps.accounts.forms import StaffPasswordForm, StaffTimeZoneForm, TokenForm
from apps.accounts.models import User
from apps.accounts.services import user_time_zone_set
from apps.accounts.two_factor import (
    base32_secret,
    has_confirmed_device,
    pending_totp_device,
    qr_svg,
)

SESSION_KEY = "two_factor_enrolling_user"


def site_context() -> dict:
    # The admin's header and title, without its app list: these pages come before admin access.
    return {"site_header": admin.site.site_header, "site_title": admin.site.site_title}


@never_cache
@sensitive_post_parameters("password")
def enrol_start(request):
    form = StaffPasswordForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if not user.is_staff:
            form.add_error(None, "Two-factor set-up here is for staff accounts.")
        elif has_confirmed_device(user=user):
            form.add_error(
                None,
                "This account already has an authenticator. Sign in to the admin with a code, "
                "or use a recovery code; a superuser can reset a lost device.",
            )
        else:
            request.session.cycle_key()
            request.session[SESSION_KEY] = user.pk
            return redirect("accounts:two_factor_confirm")
    return render(
        request,
        "accounts/two_factor_start.html",
        {**site_context(), "form": form, "title": "Set up two-factor authentication"},
    )


@never_cache
def enrol_confirm(request):
    user = User.objects.filter(
        pk=request.session.get(SESSION_KEY), is_staff=True, is_active=True
    ).first()
    if user is None or has_confirmed_device(user=user):
        return redirect("accounts:two_factor_start")
    device = pending_totp_device(user=user)
    form = TokenForm(request.POST or None)
    codes = form.confirm(device=device)
    if codes is not None:
        del request.session[SESSION_KEY]
        auth_login(request, user, backend="apps.accounts.backends.UserAccessBackend")
        otp_login(request, device)
        messages.success(request, "Two-factor authentication is on for your account.")
        return render(
            request,
            "accounts/two_factor_codes.html",
            {
                **site_context(),
                "codes": codes,
                "title": "Your recovery codes",
                "admin_url": reverse("admin:index"),
            },
        )
    return render(
        request,
        "accounts/two_factor_confirm.html",
        {
            **site_context(),
            "form": form,
            "secret": base32_secret(device),
            "qr": qr_svg(device),
            "title": "Scan and confirm",
        },
    )


def time_zone(request):
    """A staff member's own zone for reading times in the admin (behind admin_view: staff,
    signed in with a second factor)."""
    form = StaffTimeZoneForm(
        request.POST if request.method == "POST" else None,
        initial={"time_zone": request.user.time_zone},
        processor_zone=settings.PROCESSOR_TIME_ZONE,
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_time_zone_set(
                user=request.user, time_zone=form.cleaned_data["time_zone"], by=request.user
            )
        except ValidationError as error:
            form.add_error("time_zone", error)
        else:
            messages.success(request, "Your time zone is saved.")
            return redirect("accounts:time_zone")
    return render(
        request,
        "accounts/time_zone.html",
        {
            **admin.site.each_context(request),
            "form": form,
            "title": "Your time zone",
            "current": timezone.get_current_timezone_name(),
        },
    )
