"""Every write on breach incidents. The admin, the portal and commands call these."""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.zones import reader_zone
from apps.breaches.models import (
    CONTROLLER_WINDOW,
    BreachIncident,
    BreachNotification,
    BreachUpdate,
    BreachUpdateDelivery,
)
from apps.controllers.models import Controller
from apps.controllers.selectors import membership_can_write
from apps.core.history import history_delete, history_save, history_stamp
from apps.core.legaltime import format_instant, zone_key
from apps.core.services import reference_next
from apps.core.workflow import Workflow
from apps.jobs.models import Job
from apps.jobs.selectors import job_for
from apps.jobs.services import job_start
from apps.notifications.models import Notification
from apps.notifications.services import notification_enqueue
from apps.processors.models import ProcessingActivity, Processor

Status = BreachIncident.Status

# The incident workflow, the only place that says which moves exist. Containment can fail
# (back to open); a resolved incident can recur (back to open); closed is final: a recurrence
# after closing is a new incident with its own clock.
INCIDENT_WORKFLOW: Workflow[BreachIncident] = Workflow(
    BreachIncident,
    {
        Status.OPEN: {Status.CONTAINED, Status.RESOLVED},
        Status.CONTAINED: {Status.OPEN, Status.RESOLVED},
        Status.RESOLVED: {Status.OPEN, Status.CLOSED},
        Status.CLOSED: set(),
    },
    name=lambda incident: incident.reference,
)
INCIDENT_TRANSITIONS = INCIDENT_WORKFLOW.moves


@transaction.atomic
def breach_incident_create(*, incident: BreachIncident, by: User | None) -> BreachIncident:
    """Save a new incident under the next reference of the year. Many-to-many fields follow."""
    incident.full_clean(exclude=["reference"])
    incident.reference = reference_next(prefix="INC", year=timezone.now().year)
    history_save(incident, by=by, reason="breaches.incident.created")
    return incident


@transaction.atomic
def breach_incident_transition(*, incident: BreachIncident, to: str, by: User | None) -> None:
    """Move an incident through open → contained → resolved → closed."""
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    INCIDENT_WORKFLOW.check(incident, to)
    if to == Status.CLOSED:
        _check_every_controller_notified(incident)
    closed_at = timezone.now() if to == Status.CLOSED else None
    INCIDENT_WORKFLOW.move(
        incident, to, by=by, reason=f"breaches.incident.{to}", changes={"closed_at": closed_at}
    )


def _check_every_controller_notified(incident: BreachIncident) -> None:
    if incident.controllers_confirmed_at is None:
        raise ValidationError(
            f"{incident.reference} cannot be closed: its affected controllers were never confirmed."
        )
    chosen = set(incident.affected_controllers.values_list("pk", flat=True))
    confirmed = set(incident.notifications.values_list("controller_id", flat=True))
    if chosen != confirmed:
        raise ValidationError(
            f"{incident.reference} cannot be closed: its affected controllers changed since "
            "they were confirmed; confirm them again."
        )
    waiting = [
        n.controller.legal_name
        for n in incident.notifications.filter(sent_at__isnull=True).select_related("controller")
    ]
    if waiting:
        raise ValidationError(
            f"{incident.reference} cannot be closed: not yet notified: {', '.join(waiting)}."
        )


def breach_controllers_propose(*, incident: BreachIncident) -> QuerySet[Controller]:
    """Active controllers covered by the affected activities or the activities that use the
    affected subprocessors. A proposal: staff confirm it (breach_controllers_confirm)."""
    activities = ProcessingActivity.objects.filter(
        Q(pk__in=incident.affected_activities.values("pk"))
        | Q(subprocessors__in=incident.affected_subprocessors.values("pk"))
    )
    # One query: every active controller when an activity covers all of them, else those listed.
    listed = activities.filter(covers_all_controllers=False).values("controllers")
    return Controller.objects.active().filter(
        Q(Exists(activities.filter(covers_all_controllers=True))) | Q(pk__in=listed)
    )


@transaction.atomic
def breach_controllers_fill_proposed(*, incident: BreachIncident, by: User | None) -> int:
    """Add the proposed controllers to the incident's affected ones; returns how many were new."""
    proposed = set(breach_controllers_propose(incident=incident))
    new = proposed - set(incident.affected_controllers.all())
    if new:
        history_stamp(incident, by=by, reason="breaches.incident.controllers_proposed")
        incident.affected_controllers.add(*new)
    return len(new)


@transaction.atomic
def breach_controllers_confirm(
    *, incident: BreachIncident, by: User | None, controllers: Iterable[Controller] | None = None
) -> list[BreachNotification]:
    """Confirm who is affected: one notification record per controller, recorded who and when.

    Without `controllers`, the incident's chosen affected controllers are confirmed. A
    controller already notified cannot be taken off: it has been told.
    """
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    if incident.status == Status.CLOSED:
        raise ValidationError(f"{incident.reference} is closed.")
    if controllers is None:
        chosen = list(incident.affected_controllers.all())
    else:
        chosen = list(controllers)
        incident.affected_controllers.set(chosen)
    chosen_ids = {c.pk for c in chosen}
    existing = {n.controller_id: n for n in incident.notifications.select_related("controller")}
    dropped_but_told = [
        n.controller.legal_name
        for cid, n in existing.items()
        if cid not in chosen_ids and n.sent_at is not None
    ]
    if dropped_but_told:
        raise ValidationError(
            "Already notified, so they stay affected: " + ", ".join(dropped_but_told) + "."
        )
    for cid, notification in existing.items():
        if cid not in chosen_ids:
            history_delete(notification, by=by, reason="breaches.notification.unconfirmed")
    for controller in chosen:
        if controller.pk not in existing:
            notification = BreachNotification(incident=incident, controller=controller)
            history_save(notification, by=by, reason="breaches.notification.confirmed")
    incident.controllers_confirmed_at = timezone.now()
    incident.controllers_confirmed_by = by
    history_save(incident, by=by, reason="breaches.incident.controllers_confirmed")
    return list(incident.notifications.select_related("controller"))


def _render_in(zone, template: str, context: dict) -> str:
    """A message or document in the reader's zone, which it names: not the zone of whoever's
    request happens to send it."""
    with timezone.override(zone):
        return render_to_string(template, {**context, "zone_name": zone_key(zone)})


def _recipients(controller: Controller) -> list[str]:
    return [e for e in (controller.contact_email, controller.dpo_email) if e]


def _processor() -> Processor | None:
    return Processor.objects.order_by("pk").first()


# Controllers told per transaction when a notice or an update goes to many: each batch commits
# (and shows as its job's progress) as it goes, and a run stopped half-way resumes with the
# controllers not yet told.
NOTICE_BATCH = 50

# How a job's work reports how far it has come: (controllers done, controllers in all).
NoticeProgress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


def _tasks():
    # Imported when a job starts, not with this module: tasks.py imports this module for the
    # work its jobs run.
    from apps.breaches import tasks

    return tasks


def _notices_pending(
    incident: BreachIncident, controllers: Iterable[Controller] | None
) -> list[BreachNotification]:
    """The rules of a notice (checked when it is queued and when it is sent): the confirmed
    controllers' notifications not yet sent, only those of `controllers` if named."""
    if incident.controllers_confirmed_at is None:
        raise ValidationError(
            f"Confirm the affected controllers of {incident.reference} before notifying them."
        )
    notifications = incident.notifications.select_related("controller")
    if controllers is not None:
        wanted = {c.pk for c in controllers}
        notifications = notifications.filter(controller_id__in=wanted)
        found = {n.controller_id for n in notifications}
        if wanted - found:
            raise ValidationError("Only confirmed affected controllers can be notified.")
        already = [n.controller.legal_name for n in notifications if n.sent_at is not None]
        if already:
            raise ValidationError(
                f"Already notified of {incident.reference}: {', '.join(already)}. "
                "Send an update instead."
            )
    return [n for n in notifications if n.sent_at is None]


def breach_notify_controllers(
    *,
    incident: BreachIncident,
    by: User | None,
    controllers: Iterable[Controller] | None = None,
    progress: NoticeProgress = _no_progress,
) -> list[BreachNotification]:
    """Send the Art. 33(3) notice, through the outbox, to each confirmed controller not yet told.

    With `controllers`, only those; naming one that was already notified is refused. Pages
    hand it to a job (`breach_notify_start`); it records NOTICE_BATCH notices per transaction.
    """
    with transaction.atomic():
        incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
        pending_ids = [n.pk for n in _notices_pending(incident, controllers)]
    processor = _processor()
    now = timezone.now()
    sent: list[BreachNotification] = []
    for start in range(0, len(pending_ids), NOTICE_BATCH):
        with transaction.atomic():
            incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
            batch = incident.notifications.select_related("controller").filter(
                pk__in=pending_ids[start : start + NOTICE_BATCH], sent_at__isnull=True
            )
            for notification in batch.order_by("pk"):
                _notice_send(notification, incident=incident, processor=processor, now=now, by=by)
                sent.append(notification)
        progress(min(start + NOTICE_BATCH, len(pending_ids)), len(pending_ids))
    return sent


def _notice_send(
    notification: BreachNotification,
    *,
    incident: BreachIncident,
    processor: Processor | None,
    now: datetime,
    by: User | None,
) -> None:
    controller = notification.controller
    body = _render_in(
        controller.zone,
        "breaches/notification_email.txt",
        {
            "incident": incident,
            "controller": controller,
            "processor": processor,
            "notified_at": now,
            "window_ends": now + CONTROLLER_WINDOW,
        },
    )
    notification_enqueue(
        recipients=_recipients(controller),
        subject=f"Personal data breach notification {incident.reference}: {incident.title}",
        body=body,
        kind="breach.notification",
        related=notification,
        dedupe_key=f"breach.{incident.reference}.notice.{controller.pk}",
    )
    notification.sent_at = now
    notification.channel = BreachNotification.Channel.EMAIL
    history_save(notification, by=by, reason="breaches.notification.sent")


@transaction.atomic
def breach_update_add(*, incident: BreachIncident, text: str, by: User | None) -> BreachUpdate:
    """Add the next phase of information (Art. 33(4)) to the incident's timeline."""
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    if not text.strip():
        raise ValidationError("An update needs its text.")
    last = incident.updates.order_by("-phase").values_list("phase", flat=True).first() or 0
    update = BreachUpdate(incident=incident, phase=last + 1, text=text.strip(), created_by=by)
    history_save(update, by=by, reason="breaches.update.added")
    return update


def _update_targets(
    incident: BreachIncident, update: BreachUpdate, controllers: Iterable[Controller] | None
) -> list[Controller]:
    """The rules of an update (checked when it is queued and when it is sent): the notified
    controllers that do not have it yet, only those of `controllers` if named."""
    notified = {
        n.controller_id: n.controller
        for n in incident.notifications.filter(sent_at__isnull=False).select_related("controller")
    }
    sent_before = set(update.deliveries.values_list("controller_id", flat=True))
    if controllers is None:
        targets = [c for cid, c in notified.items() if cid not in sent_before]
        if not targets:
            raise ValidationError(
                f"Update {update.phase} of {incident.reference} has no controller left to send "
                "to: every notified controller has it."
                if notified
                else f"Notify the controllers of {incident.reference} before sending updates."
            )
    else:
        targets = list(controllers)
        not_notified = [c.legal_name for c in targets if c.pk not in notified]
        if not_notified:
            raise ValidationError(
                f"Not yet notified of {incident.reference}, so no update: "
                f"{', '.join(not_notified)}."
            )
        twice = [c.legal_name for c in targets if c.pk in sent_before]
        if twice:
            raise ValidationError(
                f"Update {update.phase} of {incident.reference} was already sent to "
                f"{', '.join(twice)}."
            )
    return targets


def breach_update_send(
    *,
    update: BreachUpdate,
    by: User | None,
    controllers: Iterable[Controller] | None = None,
    progress: NoticeProgress = _no_progress,
) -> list[BreachUpdateDelivery]:
    """Send an update, through the outbox, to notified controllers (all of them by default).

    Sending the same update to a controller a second time is refused. Pages hand it to a job
    (`breach_update_send_start`); it records NOTICE_BATCH deliveries per transaction.
    """
    with transaction.atomic():
        incident = BreachIncident.objects.select_for_update().get(pk=update.incident_id)
        target_ids = [c.pk for c in _update_targets(incident, update, controllers)]
    deliveries: list[BreachUpdateDelivery] = []
    for start in range(0, len(target_ids), NOTICE_BATCH):
        batch_ids = target_ids[start : start + NOTICE_BATCH]
        with transaction.atomic():
            incident = BreachIncident.objects.select_for_update().get(pk=update.incident_id)
            has_it = update.deliveries.filter(controller_id__in=batch_ids).values("controller_id")
            batch = Controller.objects.filter(pk__in=batch_ids).exclude(pk__in=has_it)
            for controller in batch.order_by("pk"):
                deliveries.append(_update_deliver(update, controller, incident=incident, by=by))
        progress(min(start + NOTICE_BATCH, len(target_ids)), len(target_ids))
    return deliveries


def _update_deliver(
    update: BreachUpdate, controller: Controller, *, incident: BreachIncident, by: User | None
) -> BreachUpdateDelivery:
    body = _render_in(
        controller.zone,
        "breaches/update_email.txt",
        {"incident": incident, "update": update, "controller": controller},
    )
    notification_enqueue(
        recipients=_recipients(controller),
        subject=f"Update {update.phase} on personal data breach {incident.reference}",
        body=body,
        kind="breach.update",
        related=update,
        dedupe_key=f"breach.{incident.reference}.update.{update.phase}.{controller.pk}",
    )
    delivery = BreachUpdateDelivery(update=update, controller=controller)
    history_save(delivery, by=by, reason="breaches.update.sent")
    return delivery


@transaction.atomic
def breach_acknowledge(*, notification: BreachNotification, by: User | None) -> BreachNotification:
    """A customer user confirms that its controller received our notice."""
    notification = BreachNotification.objects.select_for_update().get(pk=notification.pk)
    if not membership_can_write(user=by, controller=notification.controller_id):
        raise ValidationError("Only a member of the notified controller can acknowledge this.")
    if notification.sent_at is None:
        raise ValidationError("This notification has not been sent yet.")
    if notification.acknowledged_at is not None:
        when = format_instant(notification.acknowledged_at, timezone.get_current_timezone())
        raise ValidationError(f"Already acknowledged by {notification.acknowledged_by} on {when}.")
    notification.acknowledged_at = timezone.now()
    notification.acknowledged_by = by
    history_save(notification, by=by, reason="breaches.notification.acknowledged")
    return notification


def breach_report_html(*, incident: BreachIncident, controller: Controller) -> str:
    """The HTML of the report below; the timeline holds the updates sent to this controller."""
    notification = (
        incident.notifications.filter(controller=controller).select_related("controller").first()
    )
    if notification is None:
        raise ValidationError(f"{controller} is not affected by {incident.reference}.")
    updates = (
        incident.updates.filter(deliveries__controller=controller)
        .select_related("created_by")
        .order_by("phase")
    )
    # In the controller's zone: it files the report, and its days end there.
    return _render_in(
        controller.zone,
        "breaches/report.html",
        {
            "incident": incident,
            "controller": controller,
            "notification": notification,
            "window_clock": notification.window_clock(zone=controller.zone),
            "processor": _processor(),
            "data_categories": list(incident.data_categories.all()),
            "data_subject_categories": list(incident.data_subject_categories.all()),
            "updates": list(updates),
            "generated_at": timezone.now(),
        },
    )


def breach_report_pdf(*, incident: BreachIncident, controller: Controller) -> bytes:
    """The incident as one controller files it with its supervisory authority, as a PDF."""
    import weasyprint  # imported here: it loads system libraries that only this needs

    html = breach_report_html(incident=incident, controller=controller)
    return weasyprint.HTML(string=html).write_pdf()


# Notices to many controllers and reports on demand run as jobs: a page records the job and
# returns; a worker does the work (tasks.py) while the person who asked follows it.
NOTICE_JOB = "breaches.notice"
UPDATE_JOB = "breaches.update"
REPORT_JOB = "breaches.report_pdf"


def _refuse_if_under_way(job: Job | None, what: str) -> None:
    if job is not None and not job.is_finished and not job.is_abandoned():
        raise ValidationError(f"{what} are being sent already: see its job.")


@transaction.atomic
def breach_notify_start(*, incident: BreachIncident, by: User | None) -> Job:
    """Queue the Art. 33(3) notice to every confirmed controller not yet told, as a job."""
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    pending = _notices_pending(incident, None)
    if not pending:
        raise ValidationError(
            f"Every confirmed controller of {incident.reference} has been notified already."
        )
    _refuse_if_under_way(
        job_for(kind=NOTICE_JOB, incident_id=incident.pk), f"The notices of {incident.reference}"
    )
    return job_start(
        task=_tasks().notify_breach_controllers,
        kind=NOTICE_JOB,
        title=f"Notice of {incident.reference} to {len(pending)} controller(s)",
        by=by,
        arguments={"incident_id": incident.pk},
    )


@transaction.atomic
def breach_update_send_start(*, update: BreachUpdate, by: User | None) -> Job:
    """Queue an update to every notified controller that does not have it yet, as a job."""
    incident = BreachIncident.objects.select_for_update().get(pk=update.incident_id)
    targets = _update_targets(incident, update, None)
    _refuse_if_under_way(
        job_for(kind=UPDATE_JOB, update_id=update.pk),
        f"Update {update.phase} of {incident.reference}",
    )
    return job_start(
        task=_tasks().send_breach_update,
        kind=UPDATE_JOB,
        title=f"Update {update.phase} of {incident.reference} to {len(targets)} controller(s)",
        by=by,
        arguments={"update_id": update.pk},
    )


def breach_report_pdf_start(
    *, incident: BreachIncident, controller: Controller, by: User | None
) -> Job:
    """Make one affected controller's report as a PDF in the background, for whoever asked."""
    if not incident.notifications.filter(controller=controller).exists():
        raise ValidationError(f"{controller} is not affected by {incident.reference}.")
    return job_start(
        task=_tasks().make_breach_report_pdf,
        kind=REPORT_JOB,
        title=f"Report of {incident.reference} for {controller} (PDF)",
        by=by,
        controller=controller,
        arguments={"incident_id": incident.pk, "controller_id": controller.pk},
    )


# Reminders to the owner before our target, and once when it is missed.
REMINDER_THRESHOLDS: tuple[tuple[str, timedelta], ...] = (
    ("missed", timedelta(0)),
    ("1h", timedelta(hours=1)),
    ("12h", timedelta(hours=12)),
)


def breach_reminders_send(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Queue, for each incident still waiting on a notice, the latest reminder it has reached.

    Only the latest threshold is sent: a run after a pause does not send three at once. Each
    (incident, threshold) goes once, through the outbox's dedupe key.
    """
    now = now or timezone.now()
    earliest = max(delta for _, delta in REMINDER_THRESHOLDS)
    target = timedelta(hours=settings.BREACH_NOTIFY_TARGET_HOURS)
    unnotified = BreachNotification.objects.filter(sent_at__isnull=True).values("incident_id")
    incidents = (
        BreachIncident.objects.exclude(status=Status.CLOSED)
        .filter(became_aware_at__lte=now - target + earliest)
        .filter(Q(controllers_confirmed_at__isnull=True) | Q(pk__in=unnotified))
        .select_related("owner")
    )
    counts = {"checked": 0, "12h": 0, "1h": 0, "missed": 0}
    for incident in incidents:
        counts["checked"] += 1
        zone = reader_zone(incident.owner)
        clock = incident.target_clock(zone=zone, now=now)
        threshold = clock.reached(REMINDER_THRESHOLDS)
        if threshold is None:
            continue
        key = f"breach.{incident.reference}.reminder.{threshold}"
        recipient = incident.owner.email.lower()
        if Notification.objects.filter(dedupe_key=f"{key}:{recipient}").exists():
            continue
        counts[threshold] += 1
        if dry_run:
            continue
        # In the owner's zone: the owner reads it.
        body = _render_in(
            zone,
            "breaches/reminder_email.txt",
            {"incident": incident, "threshold": threshold, "now": now, "clock": clock},
        )
        subject = (
            f"Missed: notification target of {incident.reference}"
            if threshold == "missed"
            else f"{threshold} left to notify controllers of {incident.reference}"
        )
        with transaction.atomic():
            notification_enqueue(
                recipients=[recipient],
                subject=subject,
                body=body,
                kind=f"breach.reminder.{threshold}",
                related=incident,
                dedupe_key=key,
            )
    return counts
