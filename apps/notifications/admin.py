from django.contrib import admin, messages

from apps.core.admin import RegisterAdmin
from apps.notifications.models import Notification
from apps.notifications.services import notification_retry


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
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject"]
    actions = ["retry_now"]
    # Every field is read-only: messages are written by the product and only retried here.
    readonly_fields = fields = [
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
    ]

    @admin.display(description="Body")
    def message(self, obj):
        if obj.sensitive:
            return "Hidden: this message carries a personal sign-in link."
        return obj.body

    def has_add_permission(self, request):
        return False  # messages come from the product's events, not typed by hand

    @admin.action(description="Retry selected messages now", permissions=["change"])
    def retry_now(self, request, queryset):
        retried = 0
        for notification in queryset.exclude(status=Notification.Status.SENT):
            notification_retry(notification=notification, by=request.user)
            retried += 1
        self.message_user(request, f"{retried} message(s) queued again.", messages.SUCCESS)
