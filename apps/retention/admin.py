from django.contrib import admin
from django.utils.html import format_html_join

from apps.core.admin import ReadOnlyAdminMixin, RegisterAdmin
from apps.retention import schedule
from apps.retention.models import RetentionRun


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdminMixin, RegisterAdmin):
    """Runs are written by `apply_retention` only; staff read them and their history."""

    list_display = ["started_at", "status", "finished_at", "total"]
    list_filter = ["status"]
    list_select_related = ["started_by"]
    empty_list_messages = {"": "The retention schedule has not run yet (apply_retention)."}
    fields = ["started_at", "finished_at", "status", "started_by", "removed", "error"]
    readonly_fields = ["started_at", "finished_at", "status", "started_by", "removed", "error"]

    @admin.display(description="Deleted or anonymised")
    def total(self, obj: RetentionRun) -> int:
        return obj.total

    @admin.display(description="Deleted or anonymised, by category")
    def removed(self, obj: RetentionRun):
        return format_html_join(
            "",
            "<p>{}: {} (kept {} days)</p>",
            (
                (c.label, obj.counts.get(c.key, 0), obj.periods.get(c.key, c.days))
                for c in schedule.CATEGORIES
            ),
        )
