import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.core.history import history_save
from apps.notifications.models import Notification

logger = logging.getLogger(__name__)


def retry_delay(*, attempts: int) -> timedelta:
    """Pause before the next attempt: 1, 2, 4, 8 ... minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def notification_enqueue(
    *,
    recipients: Iterable[str],
    subject: str,
    body: str,
    kind: str,
    related: models.Model | None = None,
    dedupe_key: str | None = None,
    sensitive: bool = False,
) -> list[Notification]:
    """Record one message per distinct recipient, to be sent after the current transaction.

    With a dedupe_key, each recipient's message is kept at most once (key + recipient), so
    calling this twice for the same event sends nothing twice.
    """
    related_type = ContentType.objects.get_for_model(related) if related is not None else None
    created = []
    for recipient in dict.fromkeys(r.strip().lower() for r in recipients if r and r.strip()):
        key = f"{dedupe_key}:{recipient}" if dedupe_key else None
        if key and Notification.objects.filter(dedupe_key=key).exists():
            continue
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        kind=kind,
                        recipient=recipient,
                        subject=subject[:250],
                        body=body,
                        sensitive=sensitive,
                        dedupe_key=key,
                        related_type=related_type,
                        related_id=str(related.pk) if related is not None else "",
                    )
                )
        except IntegrityError:
            continue  # the same key was enqueued concurrently: already on its way
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: notification_send_many(ids=ids))
    return created


def notification_send(*, notification: Notification) -> bool:
    """Try once to send; on failure schedule the next attempt or give up. Returns success.

    The body was decrypted as the row was read (EncryptedTextField); the database holds only
    its token, and a sensitive body is erased once it has gone.
    """
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
    )
    notification.attempts += 1
    try:
        message.send(fail_silently=False)
    except Exception as error:  # any transport error: the outbox keeps the message
        logger.warning("notification %s failed: %s", notification.pk, error)
        notification.last_error = f"{type(error).__name__}: {error}"[:2000]
        if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            notification.status = Notification.Status.FAILED
        else:
            notification.next_attempt_at = timezone.now() + retry_delay(
                attempts=notification.attempts
            )
        history_save(notification, by=None, reason="notifications.attempt_failed")
        return False
    notification.status = Notification.Status.SENT
    notification.sent_at = timezone.now()
    notification.last_error = ""
    if notification.sensitive:
        notification.body = ""  # the link has reached its person; nobody else needs it
    history_save(notification, by=None, reason="notifications.sent")
    return True


def notification_send_many(
    *, ids: Iterable[int] | None = None, limit: int = 500
) -> tuple[int, int]:
    """Send due messages (or the given ones, if still pending). Returns (sent, failed)."""
    sent = failed = 0
    with transaction.atomic():
        queryset = Notification.objects.due()
        if ids is not None:
            queryset = Notification.objects.filter(
                pk__in=list(ids), status=Notification.Status.PENDING
            )
        # Two senders (the on-commit hook and cron) never take the same row.
        batch = list(
            queryset.select_for_update(skip_locked=True).order_by("next_attempt_at")[:limit]
        )
        for notification in batch:
            if notification_send(notification=notification):
                sent += 1
            else:
                failed += 1
    return sent, failed


@transaction.atomic
def notification_retry(*, notification: Notification, by: AbstractBaseUser | None = None) -> None:
    """Put a failed message back in the queue, due now, with a fresh set of attempts."""
    notification.status = Notification.Status.PENDING
    notification.attempts = 0
    notification.next_attempt_at = timezone.now()
    history_save(notification, by=by, reason="notifications.retry")
    transaction.on_commit(lambda: notification_send_many(ids=[notification.pk]))
