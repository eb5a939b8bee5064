from django.contrib import admin

from apps.controllers.models import Controller, Membership
from apps.core.admin import HistoryTabularInline, RegisterAdmin


class MembershipInline(HistoryTabularInline):
    model = Membership
    fields = ["user", "role", "expires_at"]
    autocomplete_fields = ["user"]


@admin.register(Controller)
class ControllerAdmin(RegisterAdmin):
    list_display = [
        "legal_name",
        "country",
        "contact_email",
        "dpa_version",
        "dpa_accepted_on",
        "status",
    ]
    list_filter = ["status", "dpa_version", "country"]
    search_fields = ["legal_name", "registration_number", "contact_email"]
    readonly_fields = ["created_at", "updated_at"]
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
        ("Agreement", {"fields": ("dpa_version", "dpa_accepted_on", "status", "terminated_on")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )


@admin.register(Membership)
class MembershipAdmin(RegisterAdmin):
    list_display = ["user", "controller", "role", "expires_at"]
    list_filter = ["role", ("expires_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "controller__legal_name"]
    autocomplete_fields = ["user", "controller"]
    list_select_related = ["user", "controller"]
    readonly_fields = ["created_at", "updated_at"]
