"""Every write on breach incidents. The admin, the portal and commands call these."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import User
from apps.breaches.models import (
    BreachIncident,
    BreachNotification,
    BreachUpdate,
    BreachUpdateDelivery,
)
from apps.controllers.models import Controller
from apps.controllers.selectors import membership_can_write
from apps.core.history import history_delete, history_save, history_stamp
from apps.core.services import reference_next
from apps.core.workflow import Workflow
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


def _recipients(controller: Controller) -> list[str]:
    return [e for e in (controller.contact_email, controller.dpo_email) if e]


def _processor() -> Processor | None:
    return Processor.objects.order_by("pk").first()


@transaction.atomic
def breach_notify_controllers(
    *, incident: BreachIncident, by: User | None, controllers: Iterable[Controller] | None = None
) -> list[BreachNotification]:
    """Send the Art. 33(3) notice, through the outbox, to each confirmed controller not yet told.

    With `controllers`, only those; naming one that was already notified is refused.
    """
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
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
    pending = [n for n in notifications if n.sent_at is None]
    processor = _processor()
    now = timezone.now()
    for notification in pending:
        controller = notification.controller
        body = render_to_string(
            "breaches/notification_email.txt",
            {"incident": incident, "controller": controller, "processor": processor},
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
    return pending


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


@transaction.atomic
def breach_update_send(
    *, update: BreachUpdate, by: User | None, controllers: Iterable[Controller] | None = None
) -> list[BreachUpdateDelivery]:
    """Send an update, through the outbox, to notified controllers (all of them by default).

    Sending the same update to a controller a second time is refused.
    """
    incident = BreachIncident.objects.select_for_update().get(pk=update.incident_id)
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
    deliveries = []
    for controller in targets:
        body = render_to_string(
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
        deliveries.append(delivery)
    return deliveries


@transaction.atomic
def breach_acknowledge(*, notification: BreachNotification, by: User | None) -> BreachNotification:
    """A customer user confirms that its controller received our notice."""
    notification = BreachNotification.objects.select_for_update().get(pk=notification.pk)
    if not membership_can_write(user=by, controller=notification.controller_id):
        raise ValidationError("Only a member of the notified controller can acknowledge this.")
    if notification.sent_at is None:
        raise ValidationError("This notification has not been sent yet.")
    if notification.acknowledged_at is not None:
        raise ValidationError(
            f"Already acknowledged by {notification.acknowledged_by} on "
            f"{notification.acknowledged_at:%Y-%m-%d %H:%M} UTC."
        )
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
    return render_to_string(
        "breaches/report.html",
        {
            "incident": incident,
            "controller": controller,
            "notification": notification,
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
        due_at = incident.notify_target_at
        threshold = next(name for name, before in REMINDER_THRESHOLDS if now >= due_at - before)
        key = f"breach.{incident.reference}.reminder.{threshold}"
        recipient = incident.owner.email.lower()
        if Notification.objects.filter(dedupe_key=f"{key}:{recipient}").exists():
            continue
        counts[threshold] += 1
        if dry_run:
            continue
        body = render_to_string(
            "breaches/reminder_email.txt",
            {"incident": incident, "threshold": threshold, "now": now},
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
