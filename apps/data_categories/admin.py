from django.contrib import admin
from import_export.admin import ExportMixin, ImportExportMixin

from apps.core.admin import RegisterAdmin, RegisterTableAdminMixin
from apps.data_categories.models import DataCategory, DataSubjectCategory
from apps.data_categories.resources import DataCategoryResource, DataSubjectCategoryResource


@admin.register(DataCategory)
class DataCategoryAdmin(RegisterTableAdminMixin, ImportExportMixin, RegisterAdmin):
    resource_classes = [DataCategoryResource]
    list_display = ["name", "is_special_category", "is_criminal_data", "retention"]
    list_filter = ["is_special_category", "is_criminal_data"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(DataSubjectCategory)
class DataSubjectCategoryAdmin(RegisterTableAdminMixin, ExportMixin, RegisterAdmin):
    resource_classes = [DataSubjectCategoryResource]
    list_display = ["name", "description"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]
