"""Writing to the outbox. A request only records messages here; a worker delivers them after
the transaction commits (tasks.py, delivery.py), and `send_notifications` (cron) retries."""

import logging
from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from apps.core.history import history_save
from apps.core.tasks import task_enqueue_on_commit
from apps.notifications.delivery import CLAIM_BATCH
from apps.notifications.models import Notification
from apps.notifications.tasks import deliver_notifications
from apps.trail.services import current_door, trail_mark_rows

logger = logging.getLogger(__name__)


def notifications_deliver_on_commit(*, ids: list[int]) -> None:
    """Enqueue delivery tasks for these messages once the transaction commits, a claim's batch
    per task, so that several workers share a long list."""
    for start in range(0, len(ids), CLAIM_BATCH):
        task_enqueue_on_commit(deliver_notifications, ids=ids[start : start + CLAIM_BATCH])


def notification_enqueue(
    *,
    recipients: Iterable[str],
    subject: str,
    body: str,
    kind: str,
    related: models.Model | None = None,
    dedupe_key: str | None = None,
    sensitive: bool = False,
    channel: str = "email",
) -> list[Notification]:
    """Record one message per distinct recipient, to be delivered after the current
    transaction commits. Nothing here talks to a mail server.

    With a dedupe_key, each recipient's message is kept at most once (key + recipient), so
    calling this twice for the same event sends nothing twice.

    The messages are written in a few statements however many there are (a notice to every
    controller is thousands): simple-history's bulk helper writes their history, and the
    trail marks those rows as its signal would have.
    """
    related_type = ContentType.objects.get_for_model(related) if related is not None else None
    wanted = list(dict.fromkeys(r.strip().lower() for r in recipients if r and r.strip()))
    keys = {r: f"{dedupe_key}:{r}" for r in wanted} if dedupe_key else {}
    already = (
        set(
            Notification.objects.filter(dedupe_key__in=list(keys.values())).values_list(
                "dedupe_key", flat=True
            )
        )
        if keys
        else set()
    )
    rows = [
        Notification(
            kind=kind,
            channel=channel,
            recipient=recipient,
            subject=subject[:250],
            body=body,
            sensitive=sensitive,
            dedupe_key=keys.get(recipient),
            related_type=related_type,
            related_id=str(related.pk) if related is not None else "",
        )
        for recipient in wanted
        if keys.get(recipient) not in already
    ]
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = _bulk_create(rows)
    except IntegrityError:
        # The same key was enqueued concurrently: one at a time, skipping what is on its way.
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.pk = None
                    row._state.adding = True
                    history_save(row, by=None, reason="notifications.queued")
                    created.append(row)
            except IntegrityError:
                continue
    notifications_deliver_on_commit(ids=[n.pk for n in created])
    return created


def _bulk_create(rows: list[Notification]) -> list[Notification]:
    created = bulk_create_with_history(
        rows, Notification, batch_size=500, default_change_reason="notifications.queued"
    )
    history_model = Notification.history.model
    history_ids = list(
        history_model.objects.filter(id__in=[n.pk for n in created]).values_list(
            "history_id", flat=True
        )
    )
    trail_mark_rows(history_model=history_model, ids=history_ids, door=current_door())
    return created


@transaction.atomic
def notification_retry(*, notification: Notification, by: AbstractBaseUser | None = None) -> None:
    """Put a failed or waiting message back in the queue, due now, with a fresh set of
    attempts. One a sender holds right now is refused: it is being sent."""
    locked = Notification.objects.select_for_update().defer("body").get(pk=notification.pk)
    if locked.status == Notification.Status.SENT:
        raise ValidationError("It has been delivered already.")
    if locked.is_claimed():
        raise ValidationError("A worker is sending it right now; look again in a minute.")
    locked.status = Notification.Status.PENDING
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.claim_token = locked.claimed_until = None
    history_save(
        locked,
        by=by,
        reason="notifications.retry",
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "claim_token",
            "claimed_until",
            "updated_at",
        ],
    )
    notifications_deliver_on_commit(ids=[locked.pk])
