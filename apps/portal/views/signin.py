"""Two-factor authentication for customer users: optional for everyone, required for the
portal admins of a controller that turns it on.

Signing in is two steps for a person with an authenticator: the password (the portal's login
page), then a code. Staff use the admin's own sign-in (apps.accounts).
"""

from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from apps.accounts.forms import TokenForm
from apps.accounts.two_factor import (
    base32_secret,
    has_confirmed_device,
    pending_totp_device,
    qr_svg,
    two_factor_code_verify,
    two_factor_remove,
)
from apps.controllers.models import Controller, Membership
from apps.core.history import history_save
from apps.portal.forms.accounts import LoginForm
from apps.portal.tenancy import ALL_ROLES, MANAGE_ROLES, portal_view

PENDING_USER = "portal_two_factor_user"
PENDING_BACKEND = "portal_two_factor_backend"
PENDING_NEXT = "portal_two_factor_next"


def two_factor_required(user) -> bool:
    """Whether the person is a current admin of a controller that requires two factors."""
    return (
        Membership.objects.current()
        .filter(
            user=user,
            role=Membership.Role.ADMIN,
            controller__require_admin_two_factor=True,
        )
        .exists()
    )


class PortalLoginView(LoginView):
    """The password step; a person with an authenticator continues to the code step."""

    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not has_confirmed_device(user=user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_USER] = user.pk
        self.request.session[PENDING_BACKEND] = user.backend
        self.request.session[PENDING_NEXT] = self.get_success_url()
        return redirect("portal:login_code")


@never_cache
def login_code(request):
    """The code step: after the password (pending in the session), or for a signed-in person
    whose organisation now requires two factors and who has an authenticator already."""
    user_model = get_user_model()
    if request.user.is_authenticated:
        user, backend = request.user, request.session.get(BACKEND_SESSION_KEY)
    else:
        user = user_model.objects.filter(
            pk=request.session.get(PENDING_USER), is_active=True
        ).first()
        backend = request.session.get(PENDING_BACKEND)
    if user is None or not has_confirmed_device(user=user):
        return redirect("portal:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor_code_verify(
                user=user, token=form.cleaned_data["token"], request=request
            )
        except ValidationError as error:
            form.add_error("token", error)
        else:
            next_url = request.session.pop(PENDING_NEXT, None) or request.GET.get("next")
            request.session.pop(PENDING_USER, None)
            request.session.pop(PENDING_BACKEND, None)
            if not request.user.is_authenticated:
                auth_login(request, user, backend=backend)
            otp_login(request, device)
            if not next_url or not url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                next_url = resolve_url("portal:dashboard")
            return redirect(next_url)
    return render(request, "portal/two_factor_code.html", {"form": form})


# The person's own sign-in, not the organisation's data: every role may change it.
@portal_view(write_roles=ALL_ROLES)
def two_factor_setup(request):
    user = request.user
    if has_confirmed_device(user=user):
        return render(
            request,
            "portal/two_factor_status.html",
            {"required": two_factor_required(user), "disable_form": TokenForm()},
        )
    device = pending_totp_device(user=user)
    form = TokenForm(request.POST or None)
    codes = form.confirm(device=device)
    if codes is not None:
        otp_login(request, device)
        messages.success(request, "Two-factor authentication is on for your account.")
        return render(request, "portal/two_factor_codes.html", {"codes": codes})
    return render(
        request,
        "portal/two_factor_setup.html",
        {
            "form": form,
            "secret": base32_secret(device),
            "qr": qr_svg(device),
            "required": two_factor_required(user),
        },
    )


@portal_view(write_roles=ALL_ROLES)
@require_POST
def two_factor_disable(request):
    user = request.user
    if two_factor_required(user):
        messages.error(
            request,
            "Your organisation requires two-factor authentication for its admins, so it stays on.",
        )
        return redirect("portal:two_factor_setup")
    form = TokenForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Type a current code to turn two-factor authentication off.")
        two_factor_code_verify(user=user, token=form.cleaned_data["token"], request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal:two_factor_setup")
    two_factor_remove(user=user)
    messages.success(request, "Two-factor authentication is off for your account.")
    return redirect("portal:account")


@transaction.atomic
def controller_two_factor_policy_set(*, controller: Controller, required: bool, by) -> None:
    controller.require_admin_two_factor = required
    history_save(
        controller,
        by=by,
        reason="portal.two_factor.required" if required else "portal.two_factor.optional",
        update_fields=["require_admin_two_factor", "updated_at"],
    )


@portal_view(roles=MANAGE_ROLES)
@require_POST
def two_factor_policy(request):
    required = request.POST.get("required") == "on"
    if required and not request.user.is_verified():
        messages.error(
            request,
            "Turn on two-factor authentication for your own account first, so that requiring "
            "it does not lock you out.",
        )
        return redirect("portal:member_list")
    controller_two_factor_policy_set(
        controller=request.controller, required=required, by=request.user
    )
    messages.success(
        request,
        "Admins now sign in with two factors."
        if required
        else "Two-factor authentication is now optional for admins.",
    )
    return redirect("portal:member_list")
