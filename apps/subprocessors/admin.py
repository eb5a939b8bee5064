from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from import_export.admin import ExportMixin, ImportExportMixin

from apps.core.admin import (
    HistoryTabularInline,
    InUseChoicesFieldListFilter,
    RegisterAdmin,
    RegisterTableAdminMixin,
    acting_user,
    copy_saved_fields,
    job_started_message,
    run_per_row,
)
from apps.subprocessors.models import (
    CHANGE_EFFECT_WARNING_DAYS,
    DPA_EXPIRY_WARNING_DAYS,
    Objection,
    Subprocessor,
    SubprocessorChange,
    Transfer,
)
from apps.subprocessors.resources import SubprocessorResource, TransferResource
from apps.subprocessors.selectors import subprocessor_change_notice_job
from apps.subprocessors.services import (
    ANNOUNCED,
    CANCELLED,
    OBJECTION_OUTCOMES,
    objection_check,
    objection_raise,
    objection_resolve,
    objection_resolve_check,
    subprocessor_change_announce,
    subprocessor_change_cancel,
    subprocessor_change_check,
)


class DpaExpiryFilter(admin.SimpleListFilter):
    title = "DPA"
    parameter_name = "dpa"

    def lookups(self, request, model_admin):
        return [("expiring", f"Expires within {DPA_EXPIRY_WARNING_DAYS} days, or has expired")]

    def queryset(self, request, queryset):
        if self.value() == "expiring":
            return queryset.dpa_expiring()
        return queryset


class EffectiveSoonFilter(admin.SimpleListFilter):
    title = "taking effect"
    parameter_name = "effective"

    def lookups(self, request, model_admin):
        return [("soon", f"Within {CHANGE_EFFECT_WARNING_DAYS} days")]

    def queryset(self, request, queryset):
        if self.value() == "soon":
            return queryset.effective_soon()
        return queryset


class TransferInline(HistoryTabularInline):
    model = Transfer
    fields = [
        "destination_country",
        "mechanism",
        "scc_module",
        "document_reference",
        "tia_completed_on",
    ]


@admin.register(Subprocessor)
class SubprocessorAdmin(RegisterTableAdminMixin, ImportExportMixin, RegisterAdmin):
    resource_classes = [SubprocessorResource]
    list_display = ["name", "legal_entity", "status", "locations", "engaged_on", "dpa_expires_on"]
    list_filter = ["status", DpaExpiryFilter]
    empty_list_messages = {
        "dpa=expiring": "No active subprocessor's DPA expires soon.",
    }
    search_fields = ["name", "legal_entity", "service"]
    filter_horizontal = ["data_categories"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [TransferInline]
    fieldsets = (
        (None, {"fields": ("name", "legal_entity", "service", "website")}),
        ("Data", {"fields": ("data_categories", "processing_locations")}),
        ("Engagement", {"fields": ("status", "engaged_on", "retired_on")}),
        ("Contract", {"fields": ("dpa_signed_on", "dpa_expires_on", "certifications")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="Processing locations")
    def locations(self, obj):
        return ", ".join(country.name for country in obj.processing_locations)


@admin.register(Transfer)
class TransferAdmin(RegisterTableAdminMixin, ExportMixin, RegisterAdmin):
    resource_classes = [TransferResource]
    list_display = [
        "subprocessor",
        "destination_country",
        "mechanism",
        "scc_module",
        "tia_completed_on",
    ]
    list_filter = ["mechanism", ("destination_country", InUseChoicesFieldListFilter)]
    search_fields = ["subprocessor__name", "document_reference"]
    autocomplete_fields = ["subprocessor"]
    list_select_related = ["subprocessor"]
    readonly_fields = ["created_at", "updated_at"]


class ObjectionInline(HistoryTabularInline):
    """Read-only here: objections are raised and resolved through their own services."""

    model = Objection
    readonly_fields = (
        "controller",
        "reason",
        "status",
        "resolution",
        "consequence",
        "termination_on",
        "resolved_at",
    )
    fields = readonly_fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AnnounceChangeForm(forms.ModelForm):
    """The add form: the notice period and the register's rules show as field errors."""

    class Meta:
        model = SubprocessorChange
        fields = ["kind", "subprocessor", "replaces", "description", "effective_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.announced_at = timezone.now()

    def _post_clean(self):
        # Django's hook after clean() (model validation); django-stubs does not declare it.
        super()._post_clean()  # type: ignore[misc]
        if not self.errors:
            try:
                subprocessor_change_check(change=self.instance)
            except ValidationError as error:
                self.add_error(None, error)


@admin.register(SubprocessorChange)
class SubprocessorChangeAdmin(RegisterAdmin):
    """Announcing goes through the service, which e-mails every active controller.

    An announced change is not edited: what customers were told stays what the record says.
    To change it, cancel it (customers are told) and announce a new one.
    """

    list_display = [
        "__str__",
        "kind",
        "subprocessor",
        "replaces",
        "announced_at",
        "effective_at",
        "status",
    ]
    list_filter = [EffectiveSoonFilter, "kind", "status"]
    list_title = "Subprocessor changes"
    empty_list_messages = {
        "effective=soon": "No announced change takes effect soon.",
        "": "No subprocessor changes announced yet.",
    }
    search_fields = ["subprocessor__name", "replaces__name", "description"]
    autocomplete_fields = ["subprocessor", "replaces"]
    list_select_related = ["subprocessor", "replaces"]
    inlines = [ObjectionInline]
    actions = ["cancel_changes"]
    add_form = AnnounceChangeForm

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AnnounceChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return AnnounceChangeForm.Meta.fields
        return [
            "kind",
            "subprocessor",
            "replaces",
            "description",
            "announced_at",
            "effective_at",
            "status",
            "created_at",
            "updated_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on an announced change is editable
        announced = subprocessor_change_announce(
            kind=obj.kind,
            subprocessor=obj.subprocessor,
            replaces=obj.replaces,
            description=obj.description,
            effective_at=obj.effective_at,
            by=acting_user(request),
        )
        copy_saved_fields(obj, announced)
        job = subprocessor_change_notice_job(change=announced, notice=ANNOUNCED)
        if job is not None:
            job_started_message(request, job, "Announced; every active controller is e-mailed.")

    @admin.action(
        description="Cancel selected announced changes (customers are told)",
        permissions=["change"],
    )
    def cancel_changes(self, request: HttpRequest, queryset: QuerySet[SubprocessorChange]) -> None:
        def cancel(change: SubprocessorChange) -> None:
            subprocessor_change_cancel(change=change, by=acting_user(request))
            job = subprocessor_change_notice_job(change=change, notice=CANCELLED)
            if job is not None:
                job_started_message(request, job, f"“{change}” is cancelled.")

        run_per_row(
            self,
            request,
            queryset.select_related("subprocessor"),
            cancel,
            done="Cancelled {count} change(s); customers are e-mailed.",
        )


class ObjectionForm(forms.ModelForm):
    class Meta:
        model = Objection
        fields = [
            "controller",
            "change",
            "reason",
            "status",
            "resolution",
            "consequence",
            "termination_on",
        ]

    def _post_clean(self):
        if self.instance.pk is None:
            # Django's hook after clean() (model validation); django-stubs does not declare it.
            super()._post_clean()  # type: ignore[misc]
            if not self.errors:
                try:
                    objection_check(
                        change=self.cleaned_data["change"],
                        controller=self.cleaned_data["controller"],
                        reason=self.cleaned_data.get("reason", ""),
                    )
                except ValidationError as error:
                    self.add_error(None, error)
            return
        # Not the model's full_clean (a closed status needs resolved_at, which the service sets),
        # and the instance stays as stored until the service closes it.
        status = self.cleaned_data.get("status")
        if status and status != Objection.Status.OPEN:
            try:
                objection_resolve_check(
                    objection=Objection.objects.select_related("change").get(pk=self.instance.pk),
                    status=status,
                    resolution=self.cleaned_data.get("resolution", ""),
                    consequence=self.cleaned_data.get("consequence") or "",
                    termination_on=self.cleaned_data.get("termination_on"),
                )
            except ValidationError as error:
                self.add_error(None, error)


@admin.register(Objection)
class ObjectionAdmin(RegisterAdmin):
    """Staff record an objection received by other means, and resolve open ones.

    Both go through the services: the objection window and the e-mails hold as in the portal.
    """

    list_display = ["controller", "change", "status", "consequence", "created_at", "resolved_at"]
    list_filter = ["status", "consequence"]
    empty_list_messages = {
        "status__exact=open": "No objection is waiting for an answer.",
        "": "No controller has objected to a subprocessor change.",
    }
    search_fields = ["controller__legal_name", "reason", "change__subprocessor__name"]
    autocomplete_fields = ["controller", "change"]
    list_select_related = ["controller", "change__subprocessor"]
    form = ObjectionForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["controller", "change", "reason"]
        return [
            "controller",
            "change",
            "reason",
            "status",
            "resolution",
            "consequence",
            "termination_on",
            "resolved_at",
            "created_at",
            "updated_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status != Objection.Status.OPEN:
            return self.get_fields(request, obj)
        return ["controller", "change", "reason", "resolved_at", "created_at", "updated_at"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["choices"] = [
                (value, label)
                for value, label in Objection.Status.choices
                if value in (Objection.Status.OPEN, *OBJECTION_OUTCOMES)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            raised = objection_raise(
                change=obj.change,
                controller=obj.controller,
                reason=obj.reason,
                by=acting_user(request),
            )
            copy_saved_fields(obj, raised)
            return
        status = form.cleaned_data.get("status", Objection.Status.OPEN)
        if status != Objection.Status.OPEN:
            objection_resolve(
                objection=obj,
                status=status,
                resolution=form.cleaned_data.get("resolution", ""),
                consequence=form.cleaned_data.get("consequence") or "",
                termination_on=form.cleaned_data.get("termination_on"),
                by=acting_user(request),
            )
            self.message_user(request, "Objection closed; the customer is being e-mailed.")
