from django.contrib import admin

from apps.core.admin import RegisterAdmin
from apps.data_categories.models import DataCategory, DataSubjectCategory


@admin.register(DataCategory)
class DataCategoryAdmin(RegisterAdmin):
    list_display = ["name", "is_special_category", "is_criminal_data", "retention"]
    list_filter = ["is_special_category", "is_criminal_data"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(DataSubjectCategory)
class DataSubjectCategoryAdmin(RegisterAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]
