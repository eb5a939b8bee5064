"""The audit trail in the admin: one read-only view across every model and its CSV export.
Nobody adds, changes or deletes here."""

import csv
import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from apps.core.admin import ReadOnlyAdminMixin
from apps.core.resources import EchoBuffer, spreadsheet_cell
from apps.trail import selectors
from apps.trail.forms import TrailFilterForm
from apps.trail.models import TrailEntry, TrailScrub

EXPORT_COLUMNS = [
    "seq",
    "history_date",
    "object_model",
    "object_id",
    "object_repr",
    "history_type",
    "user_id",
    "user_repr",
    "door",
    "change_reason",
    "controller_id",
    "row_hash",
]


ENTRY_FIELDS = (
    "seq",
    "history_date",
    "object_model",
    "object_id",
    "object_repr",
    "history_type",
    "user_repr",
    "door",
    "change_reason",
    "controller",
    "history_model",
    "history_id",
    "content_hash",
    "prev_hash",
    "row_hash",
    "recorded_at",
)


@admin.register(TrailEntry)
class TrailEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["seq", "history_date", "object_model", "object_repr", "door"]
    fields = ENTRY_FIELDS
    readonly_fields = ENTRY_FIELDS

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="trail_trailentry_export"),
            *super().get_urls(),
        ]

    def _check_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        """The trail: keyset pages of 50, newest first, each entry with its field changes."""
        self._check_view(request)
        form = TrailFilterForm(request.GET or None, admin_site=self.admin_site)
        kwargs = form.selector_kwargs() if form.is_bound and form.is_valid() else {}
        entries, next_cursor = selectors.trail_page(
            entries=selectors.trail_entries(**kwargs), before=request.GET.get("before")
        )
        changes = selectors.trail_changes(entries=entries)
        query = request.GET.copy()
        query.pop("before", None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Audit trail",
            "form": form,
            "media": self.media + form.media,
            "rows": [(entry, changes.get(entry.pk, [])) for entry in entries],
            "next_query": _with(query, before=next_cursor) if next_cursor else None,
            "first_query": query.urlencode(),
            "is_first_page": "before" not in request.GET,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/trail/trail.html", context)

    def export_view(self, request):
        """The filtered trail as CSV, streamed row by row: memory stays flat at any length."""
        self._check_view(request)
        form = TrailFilterForm(request.GET or None)
        kwargs = form.selector_kwargs() if form.is_bound and form.is_valid() else {}
        rows = selectors.trail_entries(**kwargs).values_list(*EXPORT_COLUMNS)
        writer = csv.writer(EchoBuffer())

        def lines():
            yield writer.writerow(EXPORT_COLUMNS)
            for row in rows.iterator(chunk_size=2000):
                # Representations and reasons hold what people typed: a cell a spreadsheet
                # would run as a formula is written as text.
                yield writer.writerow(
                    [
                        spreadsheet_cell(v.isoformat() if isinstance(v, datetime.datetime) else v)
                        for v in row
                    ]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
        return response


def _with(query, **params):
    query = query.copy()
    for key, value in params.items():
        query[key] = value
    return query.urlencode()


@admin.register(TrailScrub)
class TrailScrubAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "fields", "reason", "scrubbed_by", "scrubbed_at"]
    list_select_related = ["entry", "scrubbed_by"]
    list_filter = ["scrubbed_at"]
    readonly_fields = [
        "entry",
        "fields",
        "reason",
        "scrubbed_by",
        "scrubbed_at",
        "before_content_hash",
        "after_content_hash",
    ]
    show_full_result_count = False
