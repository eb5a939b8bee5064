"""The outbox's sender: claim due messages, send them outside any transaction, record each
outcome. Run by the delivery task (tasks.py) for the messages a change just recorded, and by
`manage.py send_notifications` (cron) for retries and for whatever a stopped worker left.

1. Claim, in a short transaction: due rows in no sender's hands are locked with
   SELECT ... FOR UPDATE SKIP LOCKED (two senders never wait on, nor take, the same row),
   stamped with this run's token and an expiry (two transport timeouts and a margin), and
   committed. The attempt is counted here, so a sender that dies mid-send has used it.
2. Send each message with no transaction open and no row locked, through the transport of its
   channel (transports.py), whose every step gives up after its timeout (EMAIL_TIMEOUT).
   Before each message the claim is renewed if less than one timeout of it is left; a message
   whose claim was lost is left to the sender that holds it now.
3. Record the outcome in another short transaction, only if the row still carries this run's
   token: delivered, or the error and the next attempt (pauses grow 1, 2, 4 ... minutes, at
   most six hours), or failed for good after NOTIFICATION_MAX_ATTEMPTS.

A sender killed between 1 and 3 leaves a claim that expires; the next run takes the message
again. So a message goes out once, or, if a sender died after the server took it but before
the outcome was recorded, again: never lost.

Every write keeps its history: each claim, renewal and outcome is a history row with its
reason. They are written with simple-history's bulk helper (a claim of a hundred rows is three
statements, not three hundred), marked for the trail as they are written, and chained into the
trail once per batch (`trail_seal_pending`) rather than once per transaction.
"""

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.utils import bulk_update_with_history

from apps.notifications.models import Notification
from apps.notifications.transports import DeliveryError, Transport, transport_for
from apps.trail.services import current_door, trail_mark_rows, trail_seal_pending

logger = logging.getLogger(__name__)

# A claim lasts two transport timeouts (connecting, then one message) and this margin, for the
# database round trips and for server clocks that disagree a little.
CLAIM_MARGIN = timedelta(seconds=5)
# Messages one claim takes (and one delivery task is given).
CLAIM_BATCH = 100

CLAIM_FIELDS = ["attempts", "claim_token", "claimed_until", "last_error", "status"]
OUTCOME_FIELDS = [
    "claim_token",
    "claimed_until",
    "last_error",
    "next_attempt_at",
    "sent_at",
    "status",
]


def _save_with_history(rows: list[Notification], *, fields: list[str]) -> None:
    """Write `fields` of these locked rows, and a history row for each with its
    `_change_reason`, in a few statements; the trail marks those history rows."""
    if not rows:
        return
    now = timezone.now()
    for row in rows:
        row.updated_at = now
    history_model = Notification.history.model
    # History ids only grow, and nobody else writes these rows while they are locked: theirs
    # above the current highest are the ones written here.
    before = history_model.objects.aggregate(last=Max("history_id"))["last"] or 0
    bulk_update_with_history(rows, Notification, fields=[*fields, "updated_at"], batch_size=500)
    written = history_model.objects.filter(id__in=[r.pk for r in rows], history_id__gt=before)
    trail_mark_rows(
        history_model=history_model,
        ids=list(written.values_list("history_id", flat=True)),
        door=current_door(),
    )


def retry_delay(*, attempts: int) -> timedelta:
    """Pause before the next attempt: 1, 2, 4, 8 ... minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def claim_length(transport: Transport | None) -> timedelta:
    timeout = transport.timeout if transport is not None else 0
    return timedelta(seconds=2 * timeout) + CLAIM_MARGIN


def _transport_or_none(channel: str) -> Transport | None:
    try:
        return transport_for(channel)
    except DeliveryError:
        return None


def _describe(error: BaseException) -> str:
    text = str(error) or "no detail"
    if isinstance(error, TimeoutError) or "timed out" in text:  # smtplib rewraps timeouts
        text = f"no answer in time ({text})"
    return f"{type(error).__name__}: {text}"[:2000]


@dataclass
class Claim:
    token: uuid.UUID
    notifications: list[Notification] = field(default_factory=list)
    # Rows the claim found whose earlier sender had stopped on their last allowed attempt.
    gave_up: int = 0


def notification_claim(
    *, ids: Iterable[int] | None = None, limit: int = CLAIM_BATCH, now: datetime | None = None
) -> Claim:
    """Take up to `limit` due messages (of `ids`, if given) for this run, in one short
    transaction. Rows another sender holds, by a lock or an unexpired claim, are skipped."""
    now = now or timezone.now()
    claim = Claim(token=uuid.uuid4())
    with transaction.atomic():
        queryset = Notification.objects.due(now)
        if ids is not None:
            queryset = queryset.filter(pk__in=list(ids))
        rows = list(
            queryset.select_for_update(skip_locked=True).order_by("next_attempt_at", "id")[:limit]
        )
        for row in rows:
            if row.claim_token is not None:
                # Its sender stopped (killed, or lost its database) before recording anything.
                row.last_error = (
                    "The previous attempt did not finish: its sender stopped and its claim "
                    f"expired at {date_format(row.claimed_until.astimezone(UTC), 'DATETIME_FORMAT')}."
                )
                if row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                    row.status = Notification.Status.FAILED
                    row.claim_token = row.claimed_until = None
                    row._change_reason = "notifications.gave_up"
                    claim.gave_up += 1
                    continue
            row.attempts += 1
            row.claim_token = claim.token
            row.claimed_until = now + claim_length(_transport_or_none(row.channel))
            row._change_reason = "notifications.claimed"
            claim.notifications.append(row)
        _save_with_history(rows, fields=CLAIM_FIELDS)
    return claim


def notification_claim_renew(
    *, notifications: list[Notification], token: uuid.UUID, transport: Transport
) -> list[Notification]:
    """Extend this run's claim on these messages; returns those it still holds, in order."""
    now = timezone.now()
    until = now + claim_length(transport)
    held = []
    with transaction.atomic():
        rows = {
            row.pk: row
            for row in Notification.objects.select_for_update()
            .defer("body")
            .filter(pk__in=[n.pk for n in notifications], claim_token=token)
        }
        for notification in notifications:
            row = rows.get(notification.pk)
            if row is None:
                logger.warning(
                    "notification %s: claim lost, left to its new sender", notification.pk
                )
                continue
            row.claimed_until = notification.claimed_until = until
            row._change_reason = "notifications.claim_renewed"
            held.append(notification)
        _save_with_history(list(rows.values()), fields=["claimed_until"])
    return held


def notification_record(*, notification: Notification, token: uuid.UUID, error: str | None) -> bool:
    """Record one attempt's outcome if this run's claim still holds; returns whether it did.

    `notification` (the run's copy) takes the recorded values too.
    """
    now = timezone.now()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .defer("body")
            .filter(pk=notification.pk, claim_token=token)
            .first()
        )
        if row is None:
            logger.warning(
                "notification %s: claim lost before its outcome was recorded", notification.pk
            )
            return False
        fields = list(OUTCOME_FIELDS)
        row.claim_token = row.claimed_until = None
        if error is None:
            row.status = Notification.Status.SENT
            row.sent_at = now
            row.last_error = ""
            reason = "notifications.sent"
            if row.sensitive:
                row.body = ""  # the link has reached its person; nobody else needs it
                fields.append("body")
        else:
            logger.warning("notification %s failed: %s", row.pk, error)
            row.last_error = error
            if row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                row.status = Notification.Status.FAILED
                reason = "notifications.gave_up"
            else:
                row.next_attempt_at = now + retry_delay(attempts=row.attempts)
                reason = "notifications.attempt_failed"
        row._change_reason = reason
        _save_with_history([row], fields=fields)
    for name in fields:
        setattr(notification, name, getattr(row, name))
    return True


def _seconds_left(notification: Notification) -> float:
    assert notification.claimed_until is not None
    return (notification.claimed_until - CLAIM_MARGIN - timezone.now()).total_seconds()


def _deliver_channel(
    channel: str, notifications: list[Notification], token: uuid.UUID
) -> tuple[int, int]:
    sent = failed = 0
    try:
        transport = transport_for(channel)
        session = transport.open()
    except Exception as error:  # no transport, or its server unreachable: every attempt failed
        for notification in notifications:
            failed += notification_record(
                notification=notification, token=token, error=_describe(error)
            )
        return sent, failed
    try:
        pending = list(notifications)
        while pending:
            if _seconds_left(pending[0]) < transport.timeout:
                pending = notification_claim_renew(
                    notifications=pending, token=token, transport=transport
                )
                if not pending:
                    break
            notification = pending.pop(0)
            deadline = time.monotonic() + _seconds_left(notification)
            try:
                session.send(notification, deadline=deadline)
            except Exception as error:  # any transport error: the outbox keeps the message
                outcome: str | None = _describe(error)
            else:
                outcome = None
            if notification_record(notification=notification, token=token, error=outcome):
                if outcome is None:
                    sent += 1
                else:
                    failed += 1
    finally:
        session.close()
    return sent, failed


def notifications_deliver(
    *, ids: Iterable[int] | None = None, limit: int | None = None, batch: int = CLAIM_BATCH
) -> tuple[int, int]:
    """Deliver due messages (only those of `ids`, if given), a claimed batch at a time, until
    none is left or `limit` were tried. Returns (sent, failed) for this run."""
    sent = failed = 0
    wanted = None if ids is None else set(ids)
    while limit is None or sent + failed < limit:
        size = batch if limit is None else min(batch, limit - sent - failed)
        claim = notification_claim(ids=wanted, limit=size)
        if not claim.notifications and not claim.gave_up:
            break
        by_channel: dict[str, list[Notification]] = {}
        for notification in claim.notifications:
            by_channel.setdefault(notification.channel, []).append(notification)
        for channel, notifications in by_channel.items():
            channel_sent, channel_failed = _deliver_channel(channel, notifications, claim.token)
            sent += channel_sent
            failed += channel_failed
        trail_seal_pending()  # the batch's history rows join the trail's chain
        if wanted is not None:
            wanted -= {n.pk for n in claim.notifications}
    return sent, failed
