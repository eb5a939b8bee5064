"""The base of every ModelAdmin in the project.

Every admin page shows history (SimpleHistoryAdmin). simple-history's "revert" form saves on POST
after checking only the *view* permission of the history, so an auditor could write through it;
this base refuses that POST to anyone who may not change the object.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from apps.core.widgets import SafeAutocompleteMixin


class RegisterAdmin(SafeAutocompleteMixin, SimpleHistoryAdmin):
    list_per_page = 50
    show_full_result_count = False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and (
            self.revert_disabled(request) or not self.has_change_permission(request)
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class HistoryTabularInline(SafeAutocompleteMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


class RegisterTableAdminMixin:
    """Exports (CSV, XLSX, streamed CSV) and, with ImportExportMixin, strict imports.

    Combine as `class XAdmin(RegisterTableAdminMixin, ImportExportMixin, RegisterAdmin)`.
    Import needs add and change on the model (an import creates and updates rows); export needs
    view. The streamed CSV reads the filtered changelist in chunks, for tables too large to build
    in memory.
    """

    import_export_change_list_template = "admin/register/change_list_import_export.html"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UnicodeDecodeError):
            message = (
                "The file is not UTF-8 text (it may be UTF-16, Latin-1 or a binary file). "
                "Save it as “CSV UTF-8” and upload it again, or upload it as XLSX."
            )
        else:
            message = (
                "The file could not be read in the chosen format: it may be damaged or another "
                "kind of file. Choose the format that matches the file (CSV or XLSX)."
            )
        form.add_error("import_file", message)

    def get_urls(self):
        from django.urls import path

        info = self.model._meta.app_label, self.model._meta.model_name
        urls = [
            path(
                "export-csv/",
                self.admin_site.admin_view(self.streamed_csv_view),
                name="{}_{}_export_csv".format(*info),
            )
        ]
        return urls + super().get_urls()

    def streamed_csv_view(self, request):
        from apps.processors.documents import register_table_csv

        if not self.has_export_permission(request):
            raise PermissionDenied
        return register_table_csv(model=self.model, queryset=self.get_export_queryset(request))

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["has_export_permission"] = self.has_export_permission(request)
        return super().changelist_view(request, extra_context)
