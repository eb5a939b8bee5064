"""The base of every ModelAdmin in the project.

Every admin page shows history (SimpleHistoryAdmin). simple-history's "revert" form saves on POST
after checking only the *view* permission of the history, so an auditor could write through it;
this base refuses that POST to anyone who may not change the object.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class RegisterAdmin(SimpleHistoryAdmin):
    list_per_page = 50
    show_full_result_count = False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and (
            self.revert_disabled(request) or not self.has_change_permission(request)
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class HistoryTabularInline(admin.TabularInline):
    extra = 0
    show_change_link = True
