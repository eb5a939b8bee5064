from django.contrib import admin
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apps.core.admin import RegisterAdmin, acting_user, run_per_row
from apps.notifications.models import Notification
from apps.notifications.services import notification_retry
from apps.notifications.transports import transport_channels


class DeliveryFilter(admin.SimpleListFilter):
    """Where a queued message stands: in a worker's hands now, or waiting for its next try."""

    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("sending", "Being sent now"), ("retrying", "Waiting to be retried")]

    def queryset(self, request, queryset):
        now = timezone.now()
        queued = queryset.filter(status=Notification.Status.PENDING)
        if self.value() == "sending":
            return queued.filter(claimed_until__gt=now)
        if self.value() == "retrying":
            return queued.filter(attempts__gt=0).exclude(claimed_until__gt=now)
        return queryset


class ChannelFilter(admin.SimpleListFilter):
    """The registered transports, without reading the table for its distinct channels."""

    title = "channel"
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return transport_channels()

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(channel=self.value())
        return queryset


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
        "channel",
        "state",
        "attempts",
        "next_attempt_at",
        "error",
        "sent_at",
    ]
    list_filter = ["status", DeliveryFilter, ChannelFilter, KindFilter]
    list_title = "Outbox"
    empty_list_messages = {
        "status__exact=failed": "No failed messages: every message was delivered or is on its way.",
        "": "The outbox is empty: no message has been queued yet.",
    }
    search_fields = ["recipient", "subject"]
    actions = ["retry_now"]
    # Every field is read-only: messages are written by the product and only retried here.
    fields = readonly_fields = (
        "kind",
        "channel",
        "recipient",
        "subject",
        "message",
        "sensitive",
        "state",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_error",
        "sent_at",
        "dedupe_key",
        "related_type",
        "related_id",
        "created_at",
        "updated_at",
    )

    @admin.display(description="State")
    def state(self, obj):
        if obj.status == Notification.Status.PENDING and obj.is_claimed():
            return "Being sent"
        if obj.status == Notification.Status.PENDING and obj.attempts:
            return "Queued, to be retried"
        return obj.get_status_display()

    @admin.display(description="Last error")
    def error(self, obj):
        return obj.last_error if len(obj.last_error) <= 80 else f"{obj.last_error[:79]}…"

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
