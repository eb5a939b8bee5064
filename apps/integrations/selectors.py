"""Reads of tokens and webhooks, scoped to one organisation, with what their lists show."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet

from apps.controllers.models import Controller
from apps.integrations.models import ApiToken, WebhookAttempt, WebhookEndpoint, WebhookMessage
from apps.integrations.services import WEBHOOK_CHANNEL
from apps.notifications.models import Notification


def api_tokens_for(*, controller: Controller) -> QuerySet[ApiToken]:
    """The organisation's tokens, newest first, with who made and who revoked each."""
    return (
        ApiToken.objects.for_controller(controller)
        .select_related("user", "revoked_by")
        .order_by("-created_at", "-pk")
    )


def webhook_endpoints_for(*, controller: Controller) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_controller(controller).order_by("created_at", "pk")


def webhook_messages_for(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookMessage]:
    """The endpoint's messages, newest first, each with its tries in order (`attempts`)."""
    return (
        WebhookMessage.objects.filter(endpoint=endpoint)
        .defer("payload")
        .prefetch_related(
            Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("attempted_at", "pk"))
        )
        .order_by("-created_at", "-pk")
    )


def webhook_delivery_states(*, messages: list[WebhookMessage]) -> dict[int, Notification]:
    """Each message's latest delivery (an outbox message), by message id: one query."""
    if not messages:
        return {}
    deliveries = (
        Notification.objects.filter(
            channel=WEBHOOK_CHANNEL,
            related_type=ContentType.objects.get_for_model(WebhookMessage),
            related_id__in=[str(m.pk) for m in messages],
        )
        .defer("body")
        .order_by("related_id", "-created_at", "-pk")
    )
    latest: dict[int, Notification] = {}
    for delivery in deliveries:
        latest.setdefault(int(delivery.related_id), delivery)
    return latest
