from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from import_export.admin import ExportMixin

from apps.controllers.forms import ControllerAdminForm, InviteForm
from apps.controllers.models import Controller, Membership, NonWorkingDay
from apps.controllers.resources import ControllerResource
from apps.controllers.services import membership_invite
from apps.core.admin import (
    HistoryTabularInline,
    InUseChoicesFieldListFilter,
    RegisterAdmin,
    RegisterTableAdminMixin,
    acting_user,
)
from apps.core.history import history_stamp
from apps.core.legaltime import holidays_known_for


class MembershipInline(HistoryTabularInline):
    model = Membership
    fields = ["user", "role", "expires_at"]
    autocomplete_fields = ["user"]


class RecordGapsFilter(admin.SimpleListFilter):
    title = "record of processing"
    parameter_name = "record"

    def lookups(self, request, model_admin):
        return [("incomplete", "Not ready to file: representative or DPO missing")]

    def queryset(self, request, queryset):
        if self.value() == "incomplete":
            return queryset.record_incomplete()
        return queryset


@admin.register(Controller)
class ControllerAdmin(RegisterTableAdminMixin, ExportMixin, RegisterAdmin):
    form = ControllerAdminForm
    resource_classes = [ControllerResource]
    change_form_template = "admin/controllers/controller/change_form.html"
    list_display = [
        "legal_name",
        "country",
        "contact_email",
        "dpa_version",
        "dpa_accepted_on",
        "status",
        "deadline_zone",
    ]
    list_filter = [
        "status",
        RecordGapsFilter,
        "dpa_version",
        ("country", InUseChoicesFieldListFilter),
    ]
    empty_list_messages = {
        "record=incomplete": "Every controller's record names its representative and its DPO.",
    }
    search_fields = ["legal_name", "registration_number", "contact_email"]
    readonly_fields = ["deadline_calendar", "created_at", "updated_at"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("legal_name", "registration_number", "address", "country")}),
        (
            "Contacts",
            {
                "fields": (
                    "contact_name",
                    "contact_email",
                    "dpo_name",
                    "dpo_email",
                    "eu_representative",
                )
            },
        ),
        (
            "Agreement",
            {
                "fields": (
                    "dpa_version",
                    "dpa_accepted_on",
                    "status",
                    "terminated_on",
                    "require_admin_two_factor",
                )
            },
        ),
        (
            "Deadlines (Regulation 1182/71)",
            {"fields": ("time_zone", "holiday_subdivision", "deadline_calendar")},
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="time zone", ordering="time_zone")
    def deadline_zone(self, obj):
        return obj.time_zone_name

    @admin.display(description="deadlines end")
    def deadline_calendar(self, obj):
        if obj.pk is None:
            return "-"
        region = f"-{obj.holiday_subdivision}" if obj.holiday_subdivision else ""
        holidays = (
            f"public holidays of {obj.country}{region}"
            if holidays_known_for(str(obj.country))
            else "public holidays of the processor's country (none known for this country)"
        )
        return (
            f"At midnight in {obj.time_zone_name}; Saturdays, Sundays, {holidays} and the "
            "non-working days Privacy Officers add are not working days."
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="controllers_controller_invite",
            ),
            *super().get_urls(),
        ]

    def invite_view(self, request, object_id):
        """Staff invite a customer user through the service the portal's admins use too."""
        controller = get_object_or_404(Controller, pk=object_id)
        if not self.has_change_permission(request, controller):
            raise PermissionDenied
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                membership = membership_invite(
                    controller=controller, invited_by=acting_user(request), **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    f"{membership.user.email} is invited to {controller} as "
                    f"{membership.get_role_display()}.",
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:controllers_controller_change", args=[controller.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Invite a customer user to {controller}",
            "opts": self.model._meta,
            "original": controller,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/controllers/controller/invite.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_download_record"] = request.user.has_perm(
            "processors.view_processingactivity"
        )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Membership)
class MembershipAdmin(RegisterAdmin):
    list_display = ["user", "controller", "role", "expires_at"]
    list_filter = ["role", ("expires_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "controller__legal_name"]
    autocomplete_fields = ["user", "controller"]
    list_select_related = ["user", "controller"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(NonWorkingDay)
class NonWorkingDayAdmin(RegisterAdmin):
    """Days deadlines do not end on, besides weekends and public holidays. Open requests'
    deadlines move past a new one at the next `recompute_deadlines` (which `send_reminders`
    runs first)."""

    list_display = ["day", "name", "country"]
    list_filter = [("country", InUseChoicesFieldListFilter)]
    search_fields = ["name"]
    ordering = ["-day"]
    readonly_fields = ["created_at", "updated_at"]
    fields = ["day", "name", "country", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        history_stamp(obj, by=acting_user(request), reason="controllers.non_working_day.saved")
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            "Deadlines of open requests that end on this day move at the next run of "
            "recompute_deadlines (send_reminders runs it first).",
            messages.INFO,
        )

    def delete_model(self, request, obj):
        history_stamp(obj, by=acting_user(request), reason="controllers.non_working_day.deleted")
        super().delete_model(request, obj)
