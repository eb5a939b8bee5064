"""Which changes are webhook events, read from the history rows the domain's services write.

Every write goes through a service that saves with a change reason ("dsar.timeline.status",
"breaches.update.sent", ...). The reasons that tell a customer something are mapped here to an
event type and its data, so the domain apps know nothing of webhooks and a change made through
any door (admin, portal, API, command) is reported the same way. The receiver runs inside the
transaction of the change: a change rolled back reports nothing.

No payload carries a data subject's identifier, as no e-mail does.
"""

from collections.abc import Callable
from typing import Any

from apps.integrations.models import WebhookEvent
from apps.integrations.services import webhook_event_record

Event = WebhookEvent


def _request_status(entry: Any) -> None:
    ticket = entry.ticket
    webhook_event_record(
        event_type=Event.REQUEST_STATUS_CHANGED,
        controllers=[ticket.controller_id],
        at=entry.created_at,
        data={
            "request": ticket.reference,
            "from_status": entry.from_status,
            "to_status": entry.to_status,
            "note": entry.body,
            "changed_at": entry.created_at,
        },
    )


def _request_reply(entry: Any) -> None:
    if not entry.visible_to_customer:
        return  # an internal note is never the customer's
    ticket = entry.ticket
    author = entry.author
    webhook_event_record(
        event_type=Event.REQUEST_REPLY_ADDED,
        controllers=[ticket.controller_id],
        at=entry.created_at,
        data={
            "request": ticket.reference,
            "reply_id": entry.pk,
            # Who wrote it: us, or someone of the organisation (its own reply, e.g. by the API).
            "author": "processor" if author is None or author.is_staff else "customer",
            "body": entry.body,
            "created_at": entry.created_at,
        },
    )


def _breach_notified(notification: Any) -> None:
    incident = notification.incident
    webhook_event_record(
        event_type=Event.BREACH_NOTIFIED,
        controllers=[notification.controller_id],
        at=notification.sent_at,
        data={
            "breach": incident.reference,
            "title": incident.title,
            "risk_level": incident.risk_level,
            "became_aware_at": incident.became_aware_at,
            "notified_at": notification.sent_at,
        },
    )


def _breach_update(delivery: Any) -> None:
    update = delivery.update
    webhook_event_record(
        event_type=Event.BREACH_UPDATE,
        controllers=[delivery.controller_id],
        at=delivery.sent_at,
        data={
            "breach": update.incident.reference,
            "phase": update.phase,
            "text": update.text,
            "sent_at": delivery.sent_at,
        },
    )


def _change_data(change: Any) -> dict:
    return {
        "change_id": change.pk,
        "kind": change.kind,
        "subprocessor": change.subprocessor.name,
        "replaces": change.replaces.name if change.replaces_id else None,
        "description": change.description,
        "announced_at": change.announced_at,
        "effective_at": change.effective_at,
    }


def _change_announced(change: Any) -> None:
    webhook_event_record(event_type=Event.SUBPROCESSOR_CHANGE_ANNOUNCED, data=_change_data(change))


def _change_effective(change: Any) -> None:
    webhook_event_record(event_type=Event.SUBPROCESSOR_CHANGE_EFFECTIVE, data=_change_data(change))


def _objection_answered(objection: Any) -> None:
    webhook_event_record(
        event_type=Event.OBJECTION_ANSWERED,
        controllers=[objection.controller_id],
        at=objection.resolved_at,
        data={
            "objection_id": objection.pk,
            "change_id": objection.change_id,
            "status": objection.status,
            "resolution": objection.resolution,
            "resolved_at": objection.resolved_at,
        },
    )


# Change reason → what it tells the customer. Objections close with one reason per outcome.
EVENTS_BY_REASON: dict[str, Callable[[Any], None]] = {
    "dsar.timeline.status": _request_status,
    "dsar.timeline.reply": _request_reply,
    "breaches.notification.sent": _breach_notified,
    "breaches.update.sent": _breach_update,
    "subprocessors.change.announced": _change_announced,
    "subprocessors.change.effective": _change_effective,
    **{
        f"subprocessors.objection.{outcome}": _objection_answered
        for outcome in ("resolved", "upheld", "rejected", "withdrawn", "closed_by_cancellation")
    },
}


def webhook_events_from_history(
    sender: Any, instance: Any = None, history_instance: Any = None, **kwargs: Any
) -> None:
    reason = getattr(history_instance, "history_change_reason", None) or ""
    handler = EVENTS_BY_REASON.get(reason)
    if handler is not None and instance is not None:
        handler(instance)
