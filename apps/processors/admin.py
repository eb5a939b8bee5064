from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from import_export.admin import ExportMixin, ImportExportMixin

from apps.controllers.models import Controller
from apps.core.admin import (
    RegisterAdmin,
    RegisterTableAdminMixin,
    acting_user,
    job_start_view,
    run_per_row,
)
from apps.core.history import history_stamp
from apps.processors.logo import LOGO_ACCEPT, logo_version
from apps.processors.models import (
    REVIEW_WARNING_DAYS,
    ProcessingActivity,
    Processor,
    SecurityMeasure,
)
from apps.processors.resources import ProcessingActivityResource, SecurityMeasureResource
from apps.processors.selectors import record_gaps
from apps.processors.services import processing_activity_transition, register_pdf_start


class _StoredLogo:
    """The stored logo as the file input shows it: a link to the logo as the pages serve it (the
    private storage gives files no URL of their own)."""

    def __init__(self, name: str) -> None:
        self.url = reverse("processor_logo", kwargs={"version": logo_version(name)})

    def __str__(self) -> str:
        return "the current logo"


class LogoInput(forms.ClearableFileInput):
    def __init__(self, attrs=None):
        super().__init__({"accept": LOGO_ACCEPT, **(attrs or {})})

    def is_initial(self, value):
        return bool(value and getattr(value, "name", ""))

    def format_value(self, value):
        if self.is_initial(value):
            return _StoredLogo(value.name)
        return None


@admin.register(Processor)
class ProcessorAdmin(RegisterAdmin):
    list_display = ["name", "country", "contact_email", "dpo_email"]
    search_fields = ["name"]
    # Named, so the form opens with the name; the contact fields come from core's PartyContact.
    fields = [
        "name",
        "address",
        "country",
        "contact_name",
        "contact_email",
        "dpo_name",
        "dpo_email",
        "representative",
        "logo",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {models.ImageField: {"widget": LogoInput}}


@admin.register(SecurityMeasure)
class SecurityMeasureAdmin(RegisterTableAdminMixin, ImportExportMixin, RegisterAdmin):
    resource_classes = [SecurityMeasureResource]
    list_display = ["name", "category", "scope", "owner", "last_reviewed_on"]
    list_filter = ["category"]
    search_fields = ["name", "description", "scope"]
    autocomplete_fields = ["owner"]
    list_select_related = ["owner"]
    readonly_fields = ["created_at", "updated_at"]


def _transition_action(to: str, label: str) -> Callable[..., None]:
    @admin.action(description=f"{label} selected activities", permissions=["change"])
    def action(
        modeladmin: admin.ModelAdmin,
        request: HttpRequest,
        queryset: QuerySet[ProcessingActivity],
    ) -> None:
        run_per_row(
            modeladmin,
            request,
            queryset,
            lambda a: processing_activity_transition(activity=a, to=to, by=acting_user(request)),
            done=f"{label}: {{count}} activity(ies).",
        )

    action.__name__ = f"mark_{to}"
    return action


class ReviewDueFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("due", f"Due within {REVIEW_WARNING_DAYS} days, or overdue")]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.review_due()
        return queryset


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(RegisterTableAdminMixin, ExportMixin, RegisterAdmin):
    resource_classes = [ProcessingActivityResource]
    import_export_change_list_template = "admin/processors/processingactivity/change_list.html"
    list_display = [
        "name",
        "category",
        "processor",
        "covers_all_controllers",
        "status",
        "approved_at",
        "next_review_on",
    ]
    list_filter = [ReviewDueFilter, "status", "category", "covers_all_controllers", "subprocessors"]
    empty_list_messages = {
        "review=due": "No processing activity is due for review soon.",
    }
    search_fields = ["name", "purpose", "description"]
    autocomplete_fields = ["processor", "controllers"]
    filter_horizontal = [
        "data_categories",
        "data_subject_categories",
        "subprocessors",
        "security_measures",
    ]
    list_select_related = ["processor"]
    readonly_fields = ["status", "approved_by", "approved_at", "created_at", "updated_at"]
    actions = [
        _transition_action(ProcessingActivity.Status.IN_REVIEW, "Send to review"),
        _transition_action(ProcessingActivity.Status.APPROVED, "Approve"),
        _transition_action(ProcessingActivity.Status.RETIRED, "Retire"),
        _transition_action(ProcessingActivity.Status.DRAFT, "Return to draft"),
    ]
    fieldsets = (
        (
            None,
            {"fields": ("processor", "name", "category", "description", "purpose", "instruction")},
        ),
        (
            "What is processed",
            {"fields": ("data_categories", "data_subject_categories", "retention")},
        ),
        (
            "Who processes it and how it is protected",
            {"fields": ("subprocessors", "security_measures")},
        ),
        ("Controllers covered", {"fields": ("covers_all_controllers", "controllers")}),
        ("Review", {"fields": ("status", "approved_by", "approved_at", "next_review_on")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_urls(self):
        return [
            path(
                "record.pdf",
                self.admin_site.admin_view(self.record_pdf_view),
                name="processors_processingactivity_record_pdf",
            ),
            path(
                "record/<int:controller_id>.pdf",
                self.admin_site.admin_view(self.controller_record_pdf_view),
                name="processors_processingactivity_controller_record_pdf",
            ),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_download_record"] = self.has_view_permission(request)
        return super().changelist_view(request, extra_context)

    # The PDFs are made by a worker: these pages start the job and open its page, which links
    # the file once it is made.
    def record_pdf_view(self, request):
        """The whole record, for every controller (Art. 30(2)), as a PDF."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return job_start_view(
            self,
            request,
            title="Record of processing, all controllers (PDF)",
            text="The record of processing activities (Art. 30(2)) for every controller, as a PDF.",
            start=lambda: register_pdf_start(controller=None, by=acting_user(request)),
        )

    def controller_record_pdf_view(self, request, controller_id):
        """One controller's record (the activities that cover it), as the portal gives it them."""
        controller = get_object_or_404(Controller, pk=controller_id)
        if not (
            self.has_view_permission(request)
            and request.user.has_perm("controllers.view_controller")
        ):
            raise PermissionDenied
        return job_start_view(
            self,
            request,
            title=f"Record of processing of {controller} (PDF)",
            text=(
                f"The record of processing activities (Art. 30(2)) of {controller}: the "
                "activities that cover it, as the portal gives it them."
            ),
            start=lambda: register_pdf_start(controller=controller, by=acting_user(request)),
            warnings=[gap.text for gap in record_gaps(controller=controller)],
        )

    def save_model(self, request, obj, form, change):
        # Editing an approved entry sends it back to review: an approval covers what was read.
        if change and obj.status == ProcessingActivity.Status.APPROVED and form.changed_data:
            obj.status = ProcessingActivity.Status.IN_REVIEW
            obj.approved_by = None
            obj.approved_at = None
            history_stamp(
                obj, by=acting_user(request), reason="processors.activity.edited_after_approval"
            )
            self.message_user(
                request,
                "The activity changed after approval and is back in review.",
                messages.WARNING,
            )
        super().save_model(request, obj, form, change)
