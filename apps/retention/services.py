"""The retention schedule applied: what has outlived its period is deleted or anonymised, and
each run is recorded (RetentionRun, with its history in the trail).

Rows of models with history are changed through `history_save` (a history row saying why) and
their older history rows through the trail's scrub (`history_rows_scrub`), so the chain still
verifies; history itself is never deleted. Tables without history (the auditors' access log, the
sign-in records of django-axes, the task queue's results) are deleted outright. Each category
works a chunk at a time, each chunk its own transaction, so a run never holds locks for long and
a run stopped half-way leaves consistent rows that the next run finishes. Running it again
changes nothing more: every category selects only what still holds the data.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.apps import apps
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import SecurityEvent, User
from apps.audit.models import AuditAccessLog
from apps.controllers.models import Membership
from apps.core.history import history_delete, history_save
from apps.dsar.erasure import user_erase_everywhere
from apps.notifications.models import Notification
from apps.offboarding.models import DataExport
from apps.retention import schedule
from apps.retention.models import RetentionRun
from apps.trail.services import history_rows_scrub

logger = logging.getLogger(__name__)

# Rows changed per transaction.
CHUNK = 200
# The domain of the address an erased account is given (reserved: it can never receive mail).
ERASED_EMAIL_DOMAIN = "erased.invalid"

Apply = Callable[..., int]


def _chunks(queryset: QuerySet, size: int = CHUNK):
    """The ids of `queryset`, read once, in chunks: a chunk changed cannot shift the next."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# --- security events: anonymised ----------------------------------------------------------------

EVENT_BLANKS = {"username": "", "ip_address": None, "path": "", "detail": "", "user": None}
EVENT_HOLDS_DATA = (
    ~Q(username="")
    | Q(ip_address__isnull=False)
    | ~Q(path="")
    | ~Q(detail="")
    | Q(user__isnull=False)
)


def _security_events_due(cutoff: datetime) -> QuerySet[SecurityEvent]:
    return SecurityEvent.objects.filter(created_at__lt=cutoff).filter(EVENT_HOLDS_DATA)


def security_events_anonymise(*, cutoff: datetime, by: AbstractBaseUser | None) -> int:
    """Erase who and where from security events older than `cutoff`, in the rows and their
    history; the kind and the time stay, so counts over time still read."""
    reason = "retention.security_event_anonymised"
    done = 0
    for ids in _chunks(_security_events_due(cutoff)):
        with transaction.atomic():
            for event in SecurityEvent.objects.filter(pk__in=ids).select_for_update():
                for name, value in EVENT_BLANKS.items():
                    setattr(event, name, value)
                history_save(event, by=by, reason=reason)
                done += 1
            history_rows_scrub(
                rows=SecurityEvent.history.model.objects.filter(id__in=ids).filter(
                    EVENT_HOLDS_DATA
                ),
                values=EVENT_BLANKS,
                by=by,
                reason=reason,
            )
    return done


# --- the auditors' access log, sign-in records, task results: deleted ----------------------------


def _delete_in_chunks(queryset: QuerySet) -> int:
    """Delete the rows of a model without history, a chunk at a time."""
    deleted = 0
    for ids in _chunks(queryset, size=1000):
        with transaction.atomic():
            deleted += queryset.model._default_manager.filter(pk__in=ids).delete()[0]
    return deleted


def _audit_access_log_due(cutoff: datetime) -> QuerySet[AuditAccessLog]:
    return AuditAccessLog.objects.filter(at__lt=cutoff)


def audit_access_log_delete(*, cutoff: datetime, by: AbstractBaseUser | None) -> int:
    return _delete_in_chunks(_audit_access_log_due(cutoff))


# django-axes keeps one row per sign-in (AccessLog), per failed attempt (AccessFailureLog) and a
# counter per login name and address (AccessAttempt): addresses, browsers, login names.
AXES_MODELS = ("AccessLog", "AccessFailureLog", "AccessAttempt")


def _request_logs_due(cutoff: datetime) -> list[QuerySet]:
    if not apps.is_installed("axes"):
        return []
    return [
        apps.get_model("axes", name)._default_manager.filter(attempt_time__lt=cutoff)
        for name in AXES_MODELS
    ]


def request_logs_delete(*, cutoff: datetime, by: AbstractBaseUser | None) -> int:
    return sum(_delete_in_chunks(rows) for rows in _request_logs_due(cutoff))


def _task_results_due(cutoff: datetime) -> list[QuerySet]:
    if not apps.is_installed("django_tasks_db"):
        return []  # RQ keeps its jobs in Redis, with their own time to live
    result = apps.get_model("django_tasks_database", "DBTaskResult")
    return [result.objects.filter(finished_at__isnull=False, finished_at__lt=cutoff)]


def task_results_delete(*, cutoff: datetime, by: AbstractBaseUser | None) -> int:
    return sum(_delete_in_chunks(rows) for rows in _task_results_due(cutoff))


# --- outbox bodies: erased ------------------------------------------------------------------------

DONE_STATUSES = (
    Notification.Status.SENT,
    Notification.Status.FAILED,
    Notification.Status.CANCELLED,
)


def _outbox_bodies_due(cutoff: datetime) -> QuerySet[Notification]:
    return Notification.objects.filter(status__in=DONE_STATUSES, updated_at__lt=cutoff).exclude(
        body=""
    )


def outbox_bodies_erase(*, cutoff: datetime, by: AbstractBaseUser | None) -> int:
    """Erase the body of messages no longer waiting, last changed before `cutoff`. The history
    keeps no body; recipient, subject and outcome stay as the proof a notice was sent."""
    done = 0
    for ids in _chunks(_outbox_bodies_due(cutoff)):
        with transaction.atomic():
            messages = Notification.objects.filter(pk__in=ids, status__in=DONE_STATUSES)
            for message in messages.select_for_update(skip_locked=True):
                message.body = ""
                history_save(message, by=by, reason="retention.outbox_body_erased")
                done += 1
    return done


# --- invitations never accepted: the account erased ----------------------------------------------


def _invitations_due(cutoff: datetime) -> QuerySet[User]:
    """Customer accounts made by an invitation whose link expired before `cutoff`, never
    signed in (no password set), and not invited again since."""
    invited_since = Membership.objects.filter(user=OuterRef("pk"), created_at__gte=cutoff)
    return (
        User.objects.filter(
            is_staff=False,
            is_superuser=False,
            is_active=True,
            last_login__isnull=True,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,  # the invitee never set one
            date_joined__lt=cutoff,
        )
        .exclude(email__iendswith=f"@{ERASED_EMAIL_DOMAIN}")
        .exclude(Exists(invited_since))
    )


def invitations_erase(*, cutoff: datetime, by: AbstractBaseUser | None) -> int:
    """Erase each account an expired invitation made and nobody took up: its memberships are
    removed, its address and name replaced (in its history too), and its address erased from
    the outbox and the logs (`user_erase_everywhere`)."""
    reason = "retention.invitation_expired"
    done = 0
    for ids in _chunks(_invitations_due(cutoff), size=20):
        for user_id in ids:
            with transaction.atomic():
                user = _invitations_due(cutoff).select_for_update().filter(pk=user_id).first()
                if user is None:  # signed in or invited again meanwhile
                    continue
                for membership in Membership.objects.filter(user=user).order_by("pk"):
                    history_delete(membership, by=by, reason=reason)
                placeholder = f"expired-invitation-{user.pk}@{ERASED_EMAIL_DOMAIN}"
                former_email = user.email
                user.email, user.full_name, user.is_active = placeholder, "", False
                history_save(user, by=by, reason=reason)
                history_rows_scrub(
                    rows=User.history.model.objects.filter(id=user.pk).exclude(
                        email=placeholder, full_name=""
                    ),
                    values={"email": placeholder, "full_name": ""},
                    by=by,
                    reason=reason,
                )
                user_erase_everywhere(
                    email=former_email, placeholder=placeholder, by=by, reason=reason
                )
                done += 1
    return done


# --- data exports: the file deleted --------------------------------------------------------------


def _data_exports_due(cutoff: datetime) -> QuerySet[DataExport]:
    return DataExport.objects.filter(expires_at__lt=cutoff).exclude(file="")


def data_exports_erase(*, cutoff: datetime, by: AbstractBaseUser | None) -> int:
    """Delete the file of each export whose download link expired before `cutoff`; the export's
    record stays, marked erased. Files go once the change has committed."""
    done = 0
    for ids in _chunks(_data_exports_due(cutoff)):
        with transaction.atomic():
            for export in DataExport.objects.filter(pk__in=ids).select_for_update():
                if not export.file:
                    continue
                name, storage = export.file.name, export.file.storage
                export.file = ""
                export.status = DataExport.Status.ERASED
                history_save(export, by=by, reason="retention.data_export_erased")
                transaction.on_commit(partial(storage.delete, name))
                done += 1
    return done


# --- the run ---------------------------------------------------------------------------------------

APPLY: dict[str, Apply] = {
    schedule.SECURITY_EVENTS.key: security_events_anonymise,
    schedule.AUDIT_ACCESS_LOG.key: audit_access_log_delete,
    schedule.OUTBOX_BODIES.key: outbox_bodies_erase,
    schedule.REQUEST_LOGS.key: request_logs_delete,
    schedule.TASK_RESULTS.key: task_results_delete,
    schedule.INVITATIONS.key: invitations_erase,
    schedule.DATA_EXPORTS.key: data_exports_erase,
}

DUE: dict[str, Callable[[datetime], QuerySet | list[QuerySet]]] = {
    schedule.SECURITY_EVENTS.key: _security_events_due,
    schedule.AUDIT_ACCESS_LOG.key: _audit_access_log_due,
    schedule.OUTBOX_BODIES.key: _outbox_bodies_due,
    schedule.REQUEST_LOGS.key: _request_logs_due,
    schedule.TASK_RESULTS.key: _task_results_due,
    schedule.INVITATIONS.key: _invitations_due,
    schedule.DATA_EXPORTS.key: _data_exports_due,
}


def retention_cutoffs(*, now: datetime, periods: dict[str, int]) -> dict[str, datetime]:
    """Category key → the moment before which its rows have outlived their period. An
    invitation's and an export's period runs from the end of its link's validity."""
    cutoffs = {key: now - timedelta(days=days) for key, days in periods.items()}
    cutoffs[schedule.INVITATIONS.key] -= timedelta(days=settings.PORTAL_INVITATION_DAYS)
    return cutoffs


def retention_due_counts(*, now: datetime | None = None) -> dict[str, int]:
    """Category key → rows the schedule would delete or anonymise now (a dry run)."""
    cutoffs = retention_cutoffs(now=now or timezone.now(), periods=schedule.retention_periods())
    counts = {}
    for key, due in DUE.items():
        found = due(cutoffs[key])
        querysets = found if isinstance(found, list) else [found]
        counts[key] = sum(queryset.count() for queryset in querysets)
    return counts


def retention_apply(*, now: datetime | None = None, by: User | None = None) -> RetentionRun:
    """Apply every category of the schedule, and record the run with its counts: started (a
    history row), then finished or failed (another, with the counts so far)."""
    now = now or timezone.now()
    periods = schedule.retention_periods()
    cutoffs = retention_cutoffs(now=now, periods=periods)
    run = RetentionRun(started_at=now, started_by=by, periods=periods)
    with transaction.atomic():
        history_save(run, by=by, reason="retention.run_started")
    counts: dict[str, int] = {}
    for key, apply in APPLY.items():
        try:
            counts[key] = apply(cutoff=cutoffs[key], by=by)
        except Exception as error:
            logger.exception("retention: %s failed", key)
            run.counts, run.status = counts, RetentionRun.Status.FAILED
            run.error = f"{schedule.BY_KEY[key].label}: {type(error).__name__}"
            run.finished_at = timezone.now()
            with transaction.atomic():
                history_save(run, by=by, reason="retention.run_failed")
            raise
    run.counts, run.status, run.finished_at = counts, RetentionRun.Status.DONE, timezone.now()
    with transaction.atomic():
        history_save(run, by=by, reason="retention.run_finished")
    return run
