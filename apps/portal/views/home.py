"""Customer portal pages. Every page but the sign-in ones is wrapped in `portal_view`, and every
object is fetched through a queryset scoped to `request.controller` (see tenancy.py)."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from apps.accounts.identity import email_normalise
from apps.accounts.services import user_time_zone_set
from apps.accounts.tokens import invitation_token_generator
from apps.controllers.forms import InviteForm
from apps.controllers.models import Membership
from apps.controllers.selectors import membership_list
from apps.controllers.services import InvitationRefused, membership_invite, membership_remove
from apps.portal.forms.accounts import PortalPasswordResetForm, TimeZoneForm
from apps.portal.forms.subprocessors import ObjectionForm
from apps.portal.paging import paginate
from apps.portal.selectors import portal_dashboard_counts
from apps.portal.tenancy import (
    ALL_ROLES,
    MANAGE_ROLES,
    choose_controller,
    current_memberships,
    portal_view,
)
from apps.processors.selectors import processing_activities_in_record, processing_activity_list
from apps.subprocessors.models import SubprocessorChange
from apps.subprocessors.selectors import (
    objections_of,
    subprocessor_active_list,
    subprocessor_changes_upcoming,
    subprocessor_exclusions,
)
from apps.subprocessors.services import objection_raise


@portal_view
def dashboard(request):
    return render(
        request,
        "portal/dashboard.html",
        {
            "counts": portal_dashboard_counts(
                controller=request.controller, grant=request.audit_grant
            )
        },
    )


@portal_view
def activity_list(request):
    page = paginate(request, processing_activity_list(controller=request.controller))
    return render(request, "portal/activity_list.html", {"page": page})


@portal_view
def activity_detail(request, activity_id: int):
    activity = get_object_or_404(
        processing_activities_in_record(controller=request.controller), pk=activity_id
    )
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
        messages.error(request, " ".join(str(m) for e in form.errors.values() for m in e))
    page = paginate(request, subprocessor_active_list())
    # This organisation's objections, in one query: each upcoming change shows its own
    # (templates: objection_for), the list below shows them all, and a subprocessor left out
    # by an upheld one says so in the table.
    objections = list(objections_of(controller=request.controller))
    return render(
        request,
        "portal/subprocessor_list.html",
        {
            "page": page,
            "changes": subprocessor_changes_upcoming(),
            "objections": objections,
            "objections_by_change": {o.change_id: o for o in objections},
            "exclusions": subprocessor_exclusions(objections=objections),
            "can_object": request.membership.can_write,
            "posted": form if request.method == "POST" else None,
        },
    )


@portal_view
def member_list(request):
    page = paginate(request, membership_list(controller=request.controller))
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
            membership_invite(
                controller=request.controller,
                invited_by=request.user,
                request=request,
                **form.cleaned_data,
            )
        except InvitationRefused:
            # Answered as any invitation: nothing is created (the privacy team sees a security
            # event), and a customer must not learn that the address has an account here, a
            # staff one or a deactivated one.
            pass
        except ValidationError as error:
            # A ValidationError with a field dict lands on those fields.
            form.add_error(None, error)
            return render(request, "portal/member_invite.html", {"form": form})
        # Built from what was typed, not from the membership, so that it reads the same for a
        # refused address, which gets none.
        email = email_normalise(form.cleaned_data["email"])
        role = Membership.Role(form.cleaned_data["role"]).label
        messages.success(request, f"{email} is invited as {role}.")
        return redirect("portal:member_list")
    return render(request, "portal/member_invite.html", {"form": form})


@portal_view(roles=MANAGE_ROLES)
def member_remove(request, membership_id: int):
    membership = get_object_or_404(membership_list(controller=request.controller), pk=membership_id)
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


# A person's own time zone, not the controller's data: every role may change it.
@portal_view(write_roles=ALL_ROLES)
def account(request):
    form = TimeZoneForm(
        request.POST if request.method == "POST" else None,
        initial={"time_zone": request.user.time_zone},
        organisation_zone=request.controller.time_zone_name,
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
            return redirect("portal:account")
    return render(request, "portal/account.html", {"time_zone_form": form})


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
    post_reset_login_backend = "apps.accounts.backends.UserAccessBackend"
    success_url = reverse_lazy("portal:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Welcome to the portal.")
        return response


invitation_accept = InvitationAcceptView.as_view()
