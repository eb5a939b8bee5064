"""Writes for subprocessor changes and customers' objections (DPA clause 5).

The admin, the portal and the `apply_subprocessor_changes` command all come through here, so the
notice period, the objection window and the e-mails to customers hold whichever door is used.
"""

from collections.abc import Callable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from apps.accounts.models import User
from apps.controllers.models import Controller
from apps.core.dates import datetime_text
from apps.core.history import history_save
from apps.core.workflow import Workflow
from apps.jobs.models import Job
from apps.jobs.services import job_start
from apps.notifications.services import notification_enqueue
from apps.processors.models import Processor
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange
from apps.subprocessors.selectors import NOTICE_JOB, subprocessor_changes_due

Kind = SubprocessorChange.Kind
ChangeStatus = SubprocessorChange.Status

# An announced change takes effect on its date (the apply command) or is cancelled before it;
# either is final.
CHANGE_WORKFLOW: Workflow[SubprocessorChange] = Workflow(
    SubprocessorChange,
    {
        ChangeStatus.ANNOUNCED: {ChangeStatus.EFFECTIVE, ChangeStatus.CANCELLED},
        ChangeStatus.EFFECTIVE: set(),
        ChangeStatus.CANCELLED: set(),
    },
    name=lambda change: f"“{change}”",
)

# The statuses an open objection may be closed with, in the order the admin offers them.
OBJECTION_OUTCOMES = (
    Objection.Status.RESOLVED,
    Objection.Status.UPHELD,
    Objection.Status.REJECTED,
    Objection.Status.WITHDRAWN,
)
# An open objection is closed once, with one of the outcomes; a closed one stays closed.
OBJECTION_WORKFLOW: Workflow[Objection] = Workflow(
    Objection,
    {
        Objection.Status.OPEN: set(OBJECTION_OUTCOMES),
        **{outcome: set() for outcome in OBJECTION_OUTCOMES},
    },
)


def _fmt(moment: datetime) -> str:
    return datetime_text(moment)


def _processor_name() -> str:
    processor = Processor.objects.order_by("pk").first()
    return processor.name if processor else "We"


def _controller_addresses(controllers) -> list[str]:
    """The contact and DPO address of each controller, as the DPA names them for notices."""
    addresses: list[str] = []
    for contact_email, dpo_email in controllers.values_list("contact_email", "dpo_email"):
        addresses.extend(a for a in (contact_email, dpo_email) if a)
    return addresses


def _change_summary(change: SubprocessorChange) -> str:
    new = change.subprocessor
    lines = [f"Change: {change.get_kind_display()} of {new.name} ({new.legal_entity})"]
    if change.kind == Kind.REPLACE and change.replaces:
        lines.append(f"Replaces: {change.replaces.name} ({change.replaces.legal_entity})")
    lines.append(f"Service: {new.service}")
    lines.append(f"Takes effect: {_fmt(change.effective_at)}")
    return "\n".join(lines)


# Notices of a change go to every active controller: a job does it (tasks.py), NOTICE_BATCH
# controllers per transaction, so the page that announces returns at once and the person who
# announced follows the job's progress. Run again, it sends nothing twice (the outbox's key).
NOTICE_BATCH = 100
ANNOUNCED = "announced"
CANCELLED = "cancelled"


def _tasks():
    # Imported when a job starts, not with this module: tasks.py imports this module for the
    # work its jobs run.
    from apps.subprocessors import tasks

    return tasks


def _no_progress(done: int, total: int) -> None:
    return None


def _notice(change: SubprocessorChange, notice: str, reason: str) -> tuple[str, str, str]:
    """The subject, body and kind of the e-mail about `change` (announced or cancelled)."""
    subprocessor = change.subprocessor
    if notice == ANNOUNCED:
        return (
            f"Subprocessor change: {change.get_kind_display().lower()} of {subprocessor.name}, "
            f"effective {date_format(timezone.localdate(change.effective_at), 'DATE_FORMAT')}",
            f"{_processor_name()} announces a change to the subprocessors that process personal "
            f"data on your behalf.\n\n{_change_summary(change)}\n\n{change.description}\n\n"
            f"You may object to this change, with your reasons, until it takes effect on "
            f"{_fmt(change.effective_at)}: in the customer portal, or by replying to this "
            "message.",
            "subprocessors.change_announced",
        )
    return (
        f"Cancelled: {change.get_kind_display().lower()} of {subprocessor.name}",
        f"{_processor_name()} has cancelled a subprocessor change it announced on "
        f"{_fmt(change.announced_at)}. Nothing changes.\n\n{_change_summary(change)}"
        + (f"\n\nWhy: {reason}" if reason else ""),
        "subprocessors.change_cancelled",
    )


def subprocessor_change_notices_start(
    *, change: SubprocessorChange, notice: str, by: User | None, reason: str = ""
) -> Job:
    """Queue the e-mail about `change` (ANNOUNCED or CANCELLED) to every active controller."""
    count = Controller.objects.active().count()
    return job_start(
        task=_tasks().send_subprocessor_change_notices,
        kind=NOTICE_JOB,
        title=f"Notice of “{change}” ({notice}) to {count} active controller(s)",
        by=by,
        arguments={"change_id": change.pk, "notice": notice, "reason": reason},
    )


def subprocessor_change_notices_send(
    *,
    change: SubprocessorChange,
    notice: str,
    reason: str = "",
    progress: Callable[[int, int], None] = _no_progress,
) -> int:
    """E-mail the contact and DPO of every active controller about `change`, NOTICE_BATCH
    controllers per transaction; returns how many controllers. Each address gets it once,
    however often this runs."""
    subject, body, kind = _notice(change, notice, reason)
    ids = list(Controller.objects.active().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), NOTICE_BATCH):
        with transaction.atomic():
            notification_enqueue(
                recipients=_controller_addresses(
                    Controller.objects.filter(pk__in=ids[start : start + NOTICE_BATCH])
                ),
                subject=subject,
                body=body,
                kind=kind,
                related=change,
                dedupe_key=f"{kind}:{change.pk}",
            )
        progress(min(start + NOTICE_BATCH, len(ids)), len(ids))
    return len(ids)


def subprocessor_change_check(*, change: SubprocessorChange) -> None:
    """Every rule an announcement must meet, as field errors a form can show.

    The model's own validation (notice period, constraints) runs first; then what depends on the
    register: a subprocessor can only be added when not active, removed when active, and one
    subprocessor has at most one announced change at a time.
    """
    change.full_clean()
    errors: dict[str, str] = {}
    new, old = change.subprocessor, change.replaces
    if change.kind in (Kind.ADD, Kind.REPLACE) and new.status == Subprocessor.Status.ACTIVE:
        errors["subprocessor"] = f"{new} is already an active subprocessor."
    if change.kind == Kind.REMOVE and new.status != Subprocessor.Status.ACTIVE:
        errors["subprocessor"] = f"{new} is not an active subprocessor: there is nothing to remove."
    if change.kind == Kind.REPLACE and old and old.status != Subprocessor.Status.ACTIVE:
        errors["replaces"] = f"{old} is not an active subprocessor: it cannot be replaced."
    pending = SubprocessorChange.objects.filter(status=ChangeStatus.ANNOUNCED).exclude(pk=change.pk)
    for field, subprocessor in (("subprocessor", new), ("replaces", old)):
        if subprocessor is None or field in errors:
            continue
        clash = pending.filter(subprocessor=subprocessor) | pending.filter(replaces=subprocessor)
        if clash.exists():
            errors[field] = (
                f"{subprocessor} already has an announced change; cancel it before announcing "
                "another."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subprocessor_change_announce(
    *,
    kind: str,
    subprocessor: Subprocessor,
    replaces: Subprocessor | None = None,
    description: str,
    effective_at: datetime,
    by: User | None,
    now: datetime | None = None,
) -> SubprocessorChange:
    """Announce a change at least the notice period ahead; a job e-mails every active
    controller (`subprocessor_change_notices_start`)."""
    change = SubprocessorChange(
        kind=kind,
        subprocessor=subprocessor,
        replaces=replaces,
        description=description.strip(),
        announced_at=now or timezone.now(),
        effective_at=effective_at,
    )
    subprocessor_change_check(change=change)
    history_save(change, by=by, reason="subprocessors.change.announced")
    subprocessor_change_notices_start(change=change, notice=ANNOUNCED, by=by)
    return change


@transaction.atomic
def subprocessor_change_cancel(
    *, change: SubprocessorChange, reason: str = "", by: User | None
) -> None:
    """Withdraw an announced change; its open objections close and a job tells customers."""
    change = SubprocessorChange.objects.select_for_update().get(pk=change.pk)
    now = timezone.now()
    CHANGE_WORKFLOW.move(
        change, ChangeStatus.CANCELLED, by=by, reason="subprocessors.change.cancelled"
    )
    for objection in change.objections.filter(status=Objection.Status.OPEN):
        OBJECTION_WORKFLOW.move(
            objection,
            Objection.Status.RESOLVED,
            by=by,
            reason="subprocessors.objection.closed_by_cancellation",
            changes={
                "resolution": "The change was cancelled." + (f" {reason}" if reason else ""),
                "resolved_at": now,
            },
        )
    subprocessor_change_notices_start(change=change, notice=CANCELLED, by=by, reason=reason)


def objection_check(
    *, change: SubprocessorChange, controller: Controller, reason: str, now: datetime | None = None
) -> None:
    """The rules of an objection: a reason, once per controller, before the change takes effect."""
    now = now or timezone.now()
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Give the reason for the objection."})
    if change.status == ChangeStatus.CANCELLED:
        raise ValidationError("This change was cancelled: there is nothing to object to.")
    if change.status == ChangeStatus.EFFECTIVE or now >= change.effective_at:
        raise ValidationError(
            f"The objection period for this change ended when it took effect on "
            f"{_fmt(change.effective_at)}."
        )
    if controller.status != Controller.Status.ACTIVE:
        raise ValidationError(f"{controller} is no longer a customer and cannot object.")
    if Objection.objects.filter(change=change, controller=controller).exists():
        raise ValidationError(f"{controller} has already objected to this change.")


def objection_resolve_check(
    *,
    objection: Objection,
    status: str,
    resolution: str,
    consequence: str = "",
    termination_on: date | None = None,
) -> None:
    """The rules of closing an objection. Upholding records what the DPA allows in its place:
    the subprocessor is not used for this customer (an addition or a replacement only: a removal
    takes nobody on), or the customer may end the agreement from a date, not before the objection
    was raised."""
    if status not in OBJECTION_OUTCOMES:
        raise ValidationError({"status": "Choose how the objection was closed."})
    OBJECTION_WORKFLOW.check(objection, status)
    if status != Objection.Status.WITHDRAWN and not (resolution or "").strip():
        raise ValidationError({"resolution": "Write the resolution the customer will read."})
    Consequence = Objection.Consequence
    if status != Objection.Status.UPHELD:
        if consequence or termination_on:
            raise ValidationError(
                {"consequence": "Only an upheld objection has a consequence: leave it empty."}
            )
        return
    if consequence not in Consequence.values:
        raise ValidationError(
            {
                "consequence": "Choose what upholding changes: the subprocessor is not used for "
                "this customer, or the customer may end the agreement."
            }
        )
    if consequence == Consequence.NOT_USED:
        if objection.change.kind == Kind.REMOVE:
            raise ValidationError(
                {
                    "consequence": "This change removes a subprocessor: there is no new one to "
                    "leave out. Record the customer's right to end the agreement instead."
                }
            )
        if termination_on:
            raise ValidationError(
                {"termination_on": "A date applies only when the customer may end the agreement."}
            )
        return
    if termination_on is None:
        raise ValidationError(
            {"termination_on": "Give the date from which the customer may end the agreement."}
        )
    raised_on = timezone.localdate(objection.created_at)
    if termination_on < raised_on:
        raise ValidationError(
            {
                "termination_on": f"The date cannot be before the objection was raised "
                f"({date_format(raised_on, 'DATE_FORMAT')})."
            }
        )


@transaction.atomic
def objection_raise(
    *,
    change: SubprocessorChange,
    controller: Controller,
    reason: str,
    by: User | None,
    now: datetime | None = None,
) -> Objection:
    """Record a controller's objection, allowed once, before the change takes effect."""
    now = now or timezone.now()
    # The lock serialises objections and the apply command on the same change.
    change = SubprocessorChange.objects.select_for_update().get(pk=change.pk)
    objection_check(change=change, controller=controller, reason=reason, now=now)

    objection = Objection(controller=controller, change=change, reason=reason.strip())
    try:
        with transaction.atomic():
            history_save(objection, by=by, reason="subprocessors.objection.raised")
    except IntegrityError as error:  # a concurrent request won the race
        raise ValidationError(f"{controller} has already objected to this change.") from error

    processors = Processor.objects.all()
    notification_enqueue(
        recipients=[
            address
            for pair in processors.values_list("contact_email", "dpo_email")
            for address in pair
        ],
        subject=f"Objection from {controller} to {change}",
        body=(
            f"{controller} objects to an announced subprocessor change.\n\n"
            f"{_change_summary(change)}\n\nReason given:\n{objection.reason}\n\n"
            "Resolve it in the admin under Objections before the change takes effect."
        ),
        kind="subprocessors.objection_raised",
        related=objection,
        dedupe_key=f"subprocessors.objection_raised:{objection.pk}",
    )
    return objection


@transaction.atomic
def objection_resolve(
    *,
    objection: Objection,
    status: str,
    resolution: str,
    by: User | None,
    consequence: str = "",
    termination_on: date | None = None,
) -> Objection:
    """Close an open objection with its outcome; the controller is told the outcome and, when
    it is upheld, its consequence (`objection_resolve_check`)."""
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("change__subprocessor", "change__replaces", "controller")
        .get(pk=objection.pk)
    )
    objection_resolve_check(
        objection=objection,
        status=status,
        resolution=resolution,
        consequence=consequence,
        termination_on=termination_on,
    )

    OBJECTION_WORKFLOW.move(
        objection,
        status,
        by=by,
        reason=f"subprocessors.objection.{status}",
        changes={
            "resolution": (resolution or "").strip(),
            "resolved_at": timezone.now(),
            "consequence": consequence,
            "termination_on": termination_on,
        },
    )

    controller = objection.controller
    notification_enqueue(
        recipients=_controller_addresses(Controller.objects.filter(pk=controller.pk)),
        subject=f"Your objection to {objection.change}: {objection.get_status_display()}",
        body=(
            f"Your objection to this subprocessor change is closed.\n\n"
            f"{_change_summary(objection.change)}\n\nOutcome: {objection.get_status_display()}"
            + (f"\n\n{objection.consequence_text}" if objection.consequence else "")
            + (f"\n\n{objection.resolution}" if objection.resolution else "")
        ),
        kind="subprocessors.objection_resolved",
        related=objection,
        dedupe_key=f"subprocessors.objection_resolved:{objection.pk}",
    )
    return objection


def _engage(subprocessor: Subprocessor, on) -> None:
    if subprocessor.status != Subprocessor.Status.ACTIVE:
        subprocessor.status = Subprocessor.Status.ACTIVE
        subprocessor.engaged_on = on
        subprocessor.retired_on = None


def _retire(subprocessor: Subprocessor, on) -> None:
    if subprocessor.status != Subprocessor.Status.RETIRED:
        subprocessor.status = Subprocessor.Status.RETIRED
        subprocessor.retired_on = on


@transaction.atomic
def subprocessor_changes_apply(
    *, now: datetime | None = None, dry_run: bool = False, by: User | None = None
) -> list[SubprocessorChange]:
    """Put every due announced change into effect and make the register follow it.

    Addition: the subprocessor becomes active, engaged on the effective date. Removal: it is
    retired on that date. Replacement: both. Only announced changes are picked, so running this
    twice changes nothing the second time.
    """
    changes = list(subprocessor_changes_due(now=now).select_for_update(of=("self",)))
    if dry_run:
        return changes
    for change in changes:
        effective_on = timezone.localdate(change.effective_at)
        touched = []
        if change.kind in (Kind.ADD, Kind.REPLACE):
            _engage(change.subprocessor, effective_on)
            touched.append(change.subprocessor)
        if change.kind == Kind.REMOVE:
            _retire(change.subprocessor, effective_on)
            touched.append(change.subprocessor)
        if change.kind == Kind.REPLACE and change.replaces:
            _retire(change.replaces, effective_on)
            touched.append(change.replaces)
        for subprocessor in touched:
            subprocessor.full_clean()
            history_save(
                subprocessor, by=by, reason=f"subprocessors.change.{change.kind}_effective"
            )
        CHANGE_WORKFLOW.move(
            change, ChangeStatus.EFFECTIVE, by=by, reason="subprocessors.change.effective"
        )
    return changes
