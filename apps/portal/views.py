"""Customer portal pages. Every page but the sign-in ones is wrapped in `portal_view`, and every
object is fetched through a queryset scoped to `request.controller` (see tenancy.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from apps.offboarding.forms import ObjectionForm
from apps.portal import selectors
from apps.portal.forms import InviteForm, PortalPasswordResetForm
from apps.portal.services import membership_invite, membership_remove
from apps.portal.tenancy import (
    ALL_ROLES,
    MANAGE_ROLES,
    WRITE_ROLES,
    choose_controller,
    current_memberships,
    portal_view,
)
from apps.portal.tokens import invitation_token_generator
from apps.subprocessors.models import Objection, SubprocessorChange
from apps.subprocessors.services import objection_raise


def paginate(request, queryset):
    return Paginator(queryset, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))


@portal_view
def dashboard(request):
    return render(
        request,
        "portal/dashboard.html",
        {"counts": selectors.dashboard_counts(request.controller)},
    )


@portal_view
def activity_list(request):
    page = paginate(request, selectors.activity_list_for(request.controller))
    return render(request, "portal/activity_list.html", {"page": page})


@portal_view
def activity_detail(request, activity_id: int):
    activity = get_object_or_404(selectors.activity_detail_for(request.controller), pk=activity_id)
    return render(request, "portal/activity_detail.html", {"activity": activity})


@portal_view
def subprocessor_list(request):
    """Subprocessors in use and upcoming changes; admins and members object to a change here."""
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Any announced change, past ones too: objection_check says why a late one is refused.
        change = get_object_or_404(SubprocessorChange, pk=form.cleaned_data["change"])
        try:
            objection_raise(
                change=change,
                controller=request.controller,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Your objection to “{change}” is sent to our privacy team.")
            return redirect(f"{request.path}#change-{change.pk}")
    elif request.method == "POST":
        messages.error(request, " ".join(m for e in form.errors.values() for m in e))
    page = paginate(request, selectors.active_subprocessors())
    changes = list(selectors.upcoming_subprocessor_changes())
    objections = {
        o.change_id: o
        for o in Objection.objects.filter(
            controller=request.controller, change__in=[c.pk for c in changes]
        )
    }
    for change in changes:
        change.own_objection = objections.get(change.pk)
    return render(
        request,
        "portal/subprocessor_list.html",
        {
            "page": page,
            "changes": changes,
            "can_object": request.membership.role in WRITE_ROLES,
            "posted": form if request.method == "POST" else None,
        },
    )


@portal_view
def member_list(request):
    page = paginate(request, selectors.members_of(request.controller))
    return render(
        request,
        "portal/member_list.html",
        {"page": page, "can_manage": request.membership.role in MANAGE_ROLES},
    )


@portal_view(roles=MANAGE_ROLES)
def member_invite(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = membership_invite(
                controller=request.controller,
                invited_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            # A ValidationError with a field dict lands on those fields.
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{membership.user.email} is invited as {membership.get_role_display()}."
            )
            return redirect("portal:member_list")
    return render(request, "portal/member_invite.html", {"form": form})


@portal_view(roles=MANAGE_ROLES)
def member_remove(request, membership_id: int):
    membership = get_object_or_404(selectors.members_of(request.controller), pk=membership_id)
    if request.method == "POST":
        removes_self = membership.user_id == request.user.pk
        try:
            membership_remove(membership=membership, removed_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("portal:member_list")
        if removes_self:
            messages.success(request, f"You are no longer a member of {request.controller}.")
            if not current_memberships(request.user).exists():
                logout(request)
                return redirect("portal:login")
            return redirect("portal:dashboard")
        messages.success(request, f"{membership.user.email} no longer has access.")
        return redirect("portal:member_list")
    return render(request, "portal/member_remove.html", {"member": membership})


@portal_view
def account(request):
    return render(request, "portal/account.html")


# Switching changes only the person's own session, so auditors may do it too.
@portal_view(write_roles=ALL_ROLES)
@require_POST
def switch_controller(request, controller_id: int):
    membership = choose_controller(request, controller_id)
    messages.info(request, f"You are now working in {membership.controller}.")
    return redirect("portal:dashboard")


logout_view = auth_views.LogoutView.as_view()

# A person's own password, not the controller's data: every role may change it.
password_change = portal_view(write_roles=ALL_ROLES)(
    auth_views.PasswordChangeView.as_view(
        template_name="portal/password_change.html",
        success_url=reverse_lazy("portal:password_change_done"),
    )
)
password_change_done = portal_view(
    auth_views.PasswordChangeDoneView.as_view(template_name="portal/password_change_done.html")
)
password_reset = auth_views.PasswordResetView.as_view(
    form_class=PortalPasswordResetForm,
    template_name="portal/password_reset.html",
    subject_template_name="portal/email/password_reset_subject.txt",
    email_template_name="portal/email/password_reset_body.txt",
    success_url=reverse_lazy("portal:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="portal/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="portal/password_reset_confirm.html",
    success_url=reverse_lazy("portal:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="portal/password_reset_complete.html"
)


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitee sets a first password; the link dies with it (the token hashes it)."""

    token_generator = invitation_token_generator
    template_name = "portal/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("portal:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Welcome to the portal.")
        return response


invitation_accept = InvitationAcceptView.as_view()
