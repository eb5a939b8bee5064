"""The base of every ModelAdmin in the project.

Every admin page shows history (SimpleHistoryAdmin). simple-history's "revert" form saves on POST
after checking only the *view* permission of the history, so an auditor could write through it;
this base refuses that POST to anyone who may not change the object.
"""

import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange, ModelDelta

from apps.core.models import ReferenceCounter


class EstimatedCountPaginator(Paginator):
    """Pages whose total comes from PostgreSQL's planner once a list is large.

    A changelist of a big table would otherwise run COUNT(*) over every matching row on every
    page view, a cost that grows with the table. The planner's row estimate for the filtered
    query (EXPLAIN, one cheap query that reads no rows) is close enough to draw the page links;
    below EXACT_BELOW rows it is replaced by the exact count, which is then cheap. SQLite, used by
    the demo, always counts.
    """

    EXACT_BELOW = 10_000

    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[getattr(queryset, "db", "default")]
        if connection.vendor != "postgresql" or not hasattr(queryset, "explain"):
            return super().count
        try:
            plan = json.loads(queryset.order_by().explain(format="json"))
            estimate = int(plan[0]["Plan"]["Plan Rows"])
        except (ValueError, KeyError, IndexError, TypeError):
            return super().count
        if estimate < self.EXACT_BELOW:
            return super().count
        return estimate


class RegisterAdmin(SimpleHistoryAdmin):
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    object_history_list_template = "admin/register/object_history_list.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """The page's changes, with a fixed number of queries however long the history.

        simple-history diffs many-to-many fields with two queries per row and names each row's
        object by following its foreign keys one query at a time; here the page's m2m rows
        come in one query per field and the objects its rows name in one query per foreign key.
        """
        from apps.audit import chain

        records = list(historical_records)
        if not records:
            return
        history_model = type(records[0])
        m2m_names = [f.name for f in chain.m2m_fields(history_model)]
        m2m = chain.m2m_rows_for(history_model, [r.pk for r in records]) if m2m_names else {}
        labels = chain.object_labels(records)
        for record in records:
            record.history_object_label = labels[record.pk]

        def through_rows(record, name):
            return [
                {k: v for k, v in row.items() if k != "history_id"} for row in m2m[record.pk][name]
            ]

        previous = None
        for current in records:
            if previous is None:
                previous = current
                continue
            delta = previous.diff_against(
                current, excluded_fields=m2m_names, foreign_keys_are_objs=foreign_keys_are_objs
            )
            changes, changed = list(delta.changes), list(delta.changed_fields)
            for name in m2m_names:
                old, new = through_rows(current, name), through_rows(previous, name)
                if old != new:
                    changes.append(ModelChange(name, old, new))
                    changed.append(name)
            delta = ModelDelta(changes, changed, current, previous)
            helper = self.get_historical_record_context_helper(request, previous)
            previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and (
            self.revert_disabled(request) or not self.has_change_permission(request)
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class HistoryTabularInline(admin.TabularInline):
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


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(RegisterAdmin):
    list_display = ["prefix", "year", "last_number"]
    list_filter = ["prefix"]
    readonly_fields = ["prefix", "year", "last_number"]

    # Numbers are taken by the services that create tickets and incidents, never by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
