from django.contrib import admin
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin import RegisterAdmin, acting_user, run_per_row
from apps.notifications.models import Notification
from apps.notifications.services import notification_retry


class KindFilter(admin.SimpleListFilter):
    """The kinds of message in the outbox, read by skipping along the (kind, created) index.

    Django's default (SELECT DISTINCT kind) reads every message; on PostgreSQL a recursive query
    jumps from one kind to the next, one index probe per kind, however long the outbox is.
    """

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, kind) for kind in notification_kinds()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


def notification_kinds() -> list[str]:
    if connection.vendor != "postgresql":
        return list(Notification.objects.order_by("kind").values_list("kind", flat=True).distinct())
    table = connection.ops.quote_name(Notification._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE kinds(kind) AS (
                (SELECT kind FROM {table} ORDER BY kind LIMIT 1)
                UNION ALL
                SELECT (SELECT n.kind FROM {table} n WHERE n.kind > kinds.kind
                        ORDER BY n.kind LIMIT 1)
                FROM kinds WHERE kinds.kind IS NOT NULL
            )
            SELECT kind FROM kinds WHERE kind IS NOT NULL
            """
        )
        return [row[0] for row in cursor.fetchall()]


@admin.register(Notification)
class NotificationAdmin(RegisterAdmin):
    list_display = [
        "subject",
        "recipient",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", KindFilter]
    search_fields = ["recipient", "subject"]
    actions = ["retry_now"]
    # Every field is read-only: messages are written by the product and only retried here.
    fields = readonly_fields = (
        "kind",
        "recipient",
        "subject",
        "message",
        "sensitive",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "dedupe_key",
        "related_type",
        "related_id",
        "created_at",
        "updated_at",
    )

    @admin.display(description="Body")
    def message(self, obj):
        if obj.sensitive:
            return "Hidden: this message carries a personal sign-in link."
        return obj.body

    def has_add_permission(self, request):
        return False  # messages come from the product's events, not typed by hand

    @admin.action(description="Retry selected messages now", permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        # A sent message is skipped, not refused: the count says how many go out again.
        run_per_row(
            self,
            request,
            queryset.exclude(status=Notification.Status.SENT),
            lambda notification: notification_retry(
                notification=notification, by=acting_user(request)
            ),
            done="{count} message(s) queued again.",
        )
