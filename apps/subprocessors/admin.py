from django.contrib import admin

from apps.core.admin import HistoryTabularInline, RegisterAdmin
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange, Transfer


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
class SubprocessorAdmin(RegisterAdmin):
    list_display = ["name", "legal_entity", "status", "locations", "engaged_on", "dpa_expires_on"]
    list_filter = ["status"]
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
class TransferAdmin(RegisterAdmin):
    list_display = [
        "subprocessor",
        "destination_country",
        "mechanism",
        "scc_module",
        "tia_completed_on",
    ]
    list_filter = ["mechanism", "destination_country"]
    search_fields = ["subprocessor__name", "document_reference"]
    autocomplete_fields = ["subprocessor"]
    list_select_related = ["subprocessor"]
    readonly_fields = ["created_at", "updated_at"]


class ObjectionInline(HistoryTabularInline):
    model = Objection
    fields = ["controller", "reason", "status", "resolution", "resolved_at"]
    autocomplete_fields = ["controller"]


@admin.register(SubprocessorChange)
class SubprocessorChangeAdmin(RegisterAdmin):
    list_display = [
        "__str__",
        "kind",
        "subprocessor",
        "replaces",
        "announced_at",
        "effective_at",
        "status",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["subprocessor__name", "replaces__name", "description"]
    autocomplete_fields = ["subprocessor", "replaces"]
    list_select_related = ["subprocessor", "replaces"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ObjectionInline]


@admin.register(Objection)
class ObjectionAdmin(RegisterAdmin):
    list_display = ["controller", "change", "status", "created_at", "resolved_at"]
    list_filter = ["status"]
    search_fields = ["controller__legal_name", "reason", "change__subprocessor__name"]
    autocomplete_fields = ["controller", "change"]
    list_select_related = ["controller", "change__subprocessor"]
    readonly_fields = ["created_at", "updated_at"]
