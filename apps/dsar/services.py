"""Every write to a data-subject request. The admin, the portal and the commands call these, so a
rule (the allowed moves, the clocks, who is told) holds whichever door a change comes through."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import SUPPORT_AGENT
from apps.controllers.models import Controller, Membership
from apps.controllers.selectors import membership_can_write
from apps.core.history import history_save
from apps.core.legaltime import DEADLINE_RECOMPUTED_REASON, DeadlineCalendar, format_instant
from apps.core.services import reference_next
from apps.core.workflow import Workflow
from apps.dsar.deadlines import dsar_calendar_for
from apps.dsar.erasure import ErasureCounts, dsar_ticket_erase_everywhere
from apps.dsar.models import (
    DsarAttachment,
    DsarPause,
    DsarPropagation,
    DsarTicket,
    DsarTimelineEntry,
)
from apps.dsar.uploads import check_upload
from apps.notifications.models import Notification
from apps.notifications.services import notification_enqueue
from apps.processors.models import ProcessingActivity
from apps.subprocessors.models import Subprocessor

Status = DsarTicket.Status

# The one table of allowed moves. Completed, rejected and withdrawn are final.
DSAR_WORKFLOW: Workflow[DsarTicket] = Workflow(
    DsarTicket,
    {
        Status.NEW: {
            Status.IN_PROGRESS,
            Status.AWAITING_CUSTOMER,
            Status.REJECTED,
            Status.WITHDRAWN,
        },
        Status.IN_PROGRESS: {
            Status.AWAITING_CUSTOMER,
            Status.COMPLETED,
            Status.REJECTED,
            Status.WITHDRAWN,
        },
        Status.AWAITING_CUSTOMER: {Status.IN_PROGRESS, Status.REJECTED, Status.WITHDRAWN},
        Status.COMPLETED: set(),
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
    },
    name=lambda ticket: ticket.reference,
)
DSAR_TRANSITIONS = DSAR_WORKFLOW.moves
# A customer user may only take its own request back; staff make every other move.
CUSTOMER_TRANSITIONS = frozenset({Status.WITHDRAWN})
# Who recorded a scrub when no person did: the trail names the command.
SCRUB_ACTOR = "manage.py scrub_dsar_subjects"


# --- who hears of what ------------------------------------------------------------------------


def _staff_recipients(ticket: DsarTicket) -> list[str]:
    """The assignee; while nobody is assigned, every active Support Agent."""
    assignee = ticket.assignee if ticket.assignee_id else None
    if assignee is not None and assignee.is_active:
        return [assignee.email]
    group = Group.objects.filter(name=SUPPORT_AGENT).first()
    if group is None:
        return []
    return list(
        group.user_set.filter(is_active=True, is_staff=True).values_list("email", flat=True)
    )


def _customer_recipients(ticket: DsarTicket) -> list[str]:
    """The controller's contact, and the customer user who submitted the request."""
    recipients = [ticket.controller.contact_email]
    submitter = ticket.submitted_by
    if submitter is not None and not submitter.is_staff and submitter.is_active:
        recipients.append(submitter.email)
    return recipients


def _notify_staff(ticket: DsarTicket, *, kind: str, subject: str, body: str, key: str) -> None:
    notification_enqueue(
        recipients=_staff_recipients(ticket),
        subject=f"[{ticket.reference}] {subject}",
        body=body,
        kind=kind,
        related=ticket,
        dedupe_key=key,
    )


def _notify_customer(ticket: DsarTicket, *, kind: str, subject: str, body: str, key: str) -> None:
    # No identifier of the data subject in any email: the reference is enough to find it.
    notification_enqueue(
        recipients=_customer_recipients(ticket),
        subject=f"[{ticket.reference}] {subject}",
        body=body,
        kind=kind,
        related=ticket,
        dedupe_key=key,
    )


def _is_customer(user) -> bool:
    return user is not None and not user.is_staff


def _check_customer_may_write(user, controller: Controller) -> None:
    """A customer user writes only for a controller it currently belongs to, and not as an
    auditor (read-only)."""
    if not membership_can_write(user=user, controller=controller):
        raise ValidationError("You cannot act on requests of this customer.")


# --- submission -------------------------------------------------------------------------------


def dsar_subprocessors_holding_data(*, controller: Controller) -> QuerySet[Subprocessor]:
    """Subprocessors named in the approved activities that cover the controller: where its
    subjects' data goes. Proposed ones hold nothing yet."""
    activities = ProcessingActivity.objects.covering(controller).in_record()
    return (
        Subprocessor.objects.filter(activities__in=activities)
        .exclude(status=Subprocessor.Status.PROPOSED)
        .distinct()
        .order_by("name")
    )


def dsar_ticket_submit(
    *,
    controller: Controller,
    submitted_by: User,
    request_type: str,
    data_subject_identifier: str,
    received_at: datetime,
    details: str = "",
    submission_token: str = "",
) -> DsarTicket:
    """Record a request the controller passes on to us, and tell staff.

    `submission_token` is chosen by the client once per form: the same token for the same
    controller returns the ticket already made (a double click makes one ticket).
    """
    if request_type not in DsarTicket.RequestType.values:
        raise ValidationError({"request_type": f"“{request_type}” is not a type of request."})
    identifier = (data_subject_identifier or "").strip()
    if not identifier:
        raise ValidationError(
            {"data_subject_identifier": "Say how the data subject is known in your app."}
        )
    if len(identifier) > 200:
        raise ValidationError({"data_subject_identifier": "At most 200 characters."})
    if received_at is None or timezone.is_naive(received_at):
        raise ValidationError({"received_at": "Give the date and time you received the request."})
    now = timezone.now()
    if received_at > now:
        raise ValidationError({"received_at": "The date of receipt cannot be in the future."})
    if controller.status != Controller.Status.ACTIVE:
        raise ValidationError("This customer's agreement has ended; no new requests.")
    if _is_customer(submitted_by):
        _check_customer_may_write(submitted_by, controller)
    token = (submission_token or "").strip()[:64]
    if token:
        existing = DsarTicket.objects.filter(controller=controller, submission_token=token).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            ticket = DsarTicket(
                reference=reference_next(prefix="DSAR", year=now.year),
                controller=controller,
                request_type=request_type,
                data_subject_identifier=identifier,
                details=details or "",
                received_at=received_at,
                submitted_at=now,
                submitted_by=submitted_by,
                submission_token=token,
                response_target_at=now + timedelta(days=settings.DSAR_RESPONSE_TARGET_DAYS),
            )
            ticket.compute_due_dates()
            history_save(ticket, by=submitted_by, reason="dsar.ticket.submitted")
            if request_type in DsarTicket.PROPAGATED_TYPES:
                for subprocessor in dsar_subprocessors_holding_data(controller=controller):
                    propagation = DsarPropagation(ticket=ticket, subprocessor=subprocessor)
                    history_save(propagation, by=submitted_by, reason="dsar.propagation.created")
            _notify_staff(
                ticket,
                kind="dsar.submitted",
                subject=f"New {ticket.get_request_type_display()} request from {controller}",
                body=(
                    f"{controller} passed on a data-subject request ({ticket.reference}, "
                    f"{ticket.get_request_type_display()}), received by them on "
                    f"{format_instant(received_at, ticket.zone)}. Statutory deadline: "
                    f"{format_instant(ticket.due_at, ticket.zone, zone_name=True)}."
                ),
                key=f"dsar.submitted:{ticket.pk}",
            )
    except IntegrityError:
        # The same token was submitted concurrently and the other request won: return its ticket.
        if token:
            existing = DsarTicket.objects.filter(
                controller=controller, submission_token=token
            ).first()
            if existing is not None:
                return existing
        raise
    return ticket


# --- status workflow --------------------------------------------------------------------------


def dsar_transition_check(
    *,
    ticket: DsarTicket,
    to: str,
    by: User | None = None,
    rejection_reason: str = "",
    propagation_statuses: dict[int, str] | None = None,
) -> None:
    """Raise a ValidationError saying why the move is refused; forms call it to show the error.

    `propagation_statuses` (propagation id to status) are the statuses the same submission sets
    before the move, as the admin's ticket page does with its propagation rows.
    """
    if to not in Status.values:
        raise ValidationError(f"“{to}” is not a status.")
    DSAR_WORKFLOW.check(ticket, to)
    if _is_customer(by) and to not in CUSTOMER_TRANSITIONS:
        raise ValidationError("Only our staff can change this request's status.")
    if to == Status.REJECTED and rejection_reason not in DsarTicket.RejectionReason.values:
        raise ValidationError("Give the reason for the rejection.")
    if to == Status.COMPLETED:
        statuses = propagation_statuses or {}
        pending = [
            p.subprocessor.name
            for p in ticket.propagations.filter(status=DsarPropagation.Status.PENDING)
            .select_related("subprocessor")
            .order_by("subprocessor__name")
            if statuses.get(p.pk, p.status) == DsarPropagation.Status.PENDING
        ]
        if pending:
            raise ValidationError(
                f"{ticket.reference} cannot be completed while its propagation to "
                f"{', '.join(pending)} is pending: mark each done, refused or not needed."
            )


@transaction.atomic
def dsar_ticket_transition(
    *,
    ticket: DsarTicket,
    to: str,
    by: User | None,
    rejection_reason: str = "",
    note: str = "",
) -> DsarTimelineEntry:
    """Move a ticket along the table above, record it on the timeline and tell the customer."""
    locked = DsarTicket.objects.select_for_update().get(pk=ticket.pk)
    if _is_customer(by):
        _check_customer_may_write(by, locked.controller)
    dsar_transition_check(ticket=locked, to=to, by=by, rejection_reason=rejection_reason)
    now = timezone.now()
    before = locked.status
    if before == Status.AWAITING_CUSTOMER:
        pause = locked.pauses.get(ended_at__isnull=True)
        pause.ended_at = now
        history_save(pause, by=by, reason="dsar.pause.ended")
        # Our clock stood still while we waited: the target moves later by that time.
        locked.response_target_at += now - pause.started_at
    if to == Status.AWAITING_CUSTOMER:
        history_save(DsarPause(ticket=locked, started_at=now), by=by, reason="dsar.pause.started")
    changes: dict[str, object] = {
        "rejection_reason": rejection_reason if to == Status.REJECTED else ""
    }
    if to not in DsarTicket.OPEN_STATUSES:
        changes["closed_at"] = now
    DSAR_WORKFLOW.move(locked, to, by=by, reason=f"dsar.ticket.{to}", changes=changes)
    body = note
    if to == Status.REJECTED:
        body = f"Reason: {locked.get_rejection_reason_display()}. {note}".strip()
    entry = DsarTimelineEntry(
        ticket=locked,
        kind=DsarTimelineEntry.Kind.STATUS,
        author=by,
        body=body,
        visible_to_customer=True,
        from_status=before,
        to_status=to,
        created_at=now,
    )
    history_save(entry, by=by, reason="dsar.timeline.status")
    _notify_customer(
        locked,
        kind="dsar.status",
        subject=f"Your request is now {locked.get_status_display().lower()}",
        body=(
            f"Data-subject request {locked.reference} moved from "
            f"{Status(before).label.lower()} to {locked.get_status_display().lower()}."
            + (f"\n\n{body}" if body else "")
        ),
        key=f"dsar.status:{entry.pk}",
    )
    ticket.refresh_from_db()
    return entry


@transaction.atomic
def dsar_ticket_assign(*, ticket: DsarTicket, assignee: User | None, by: User | None) -> None:
    if assignee is not None and not (assignee.is_staff and assignee.is_active):
        raise ValidationError("Only an active staff user can be assigned a request.")
    locked = DsarTicket.objects.select_for_update().get(pk=ticket.pk)
    if not locked.is_open:
        raise ValidationError(f"{locked.reference} is closed; it cannot be reassigned.")
    locked.assignee = assignee
    history_save(locked, by=by, reason="dsar.ticket.assigned")
    ticket.refresh_from_db()


def dsar_extension_check(
    *, ticket: DsarTicket, months: int, reason: str, at: datetime | None = None
) -> None:
    at = at or timezone.now()
    if not ticket.is_open:
        raise ValidationError(f"{ticket.reference} is closed; it cannot be extended.")
    if not isinstance(months, int) or months < 1 or months > 2:
        raise ValidationError("An extension is one or two further months (Art. 12(3)), no more.")
    if months <= ticket.extension_months:
        raise ValidationError(
            f"{ticket.reference} is already extended by {ticket.extension_months} month(s)."
        )
    if not (reason or "").strip():
        raise ValidationError("An extension needs a reason, which the customer is told.")
    if ticket.extension_clock(at).overdue:
        # Art. 12(3): the subject must be told of an extension within the first month.
        raise ValidationError(
            f"Too late to extend {ticket.reference}: the first month ended on "
            f"{format_instant(ticket.statutory_due_at, ticket.zone, zone_name=True)}."
        )


@transaction.atomic
def dsar_ticket_extend(
    *, ticket: DsarTicket, months: int, reason: str, by: User | None
) -> DsarTimelineEntry:
    """Extend the statutory deadline to `months` further months in total, and tell the customer
    (who must tell the data subject within the first month)."""
    locked = DsarTicket.objects.select_for_update().get(pk=ticket.pk)
    dsar_extension_check(ticket=locked, months=months, reason=reason)
    now = timezone.now()
    locked.extension_months = months
    locked.extension_reason = reason.strip()
    locked.extended_at = now
    locked.compute_due_dates()
    history_save(locked, by=by, reason="dsar.ticket.extended")
    # In the controller's zone: it tells the data subject, and its days end there.
    zone = locked.zone
    due = format_instant(locked.due_at, zone, zone_name=True)
    inform_by = format_instant(locked.statutory_due_at, zone, zone_name=True)
    entry = DsarTimelineEntry(
        ticket=locked,
        kind=DsarTimelineEntry.Kind.EXTENSION,
        author=by,
        body=(
            f"Extended by {months} month(s) to {due}: {locked.extension_reason}\n"
            f"Tell the data subject of the extension and its reasons by {inform_by}."
        ),
        visible_to_customer=True,
        created_at=now,
    )
    history_save(entry, by=by, reason="dsar.timeline.extension")
    _notify_customer(
        locked,
        kind="dsar.extended",
        subject=f"Deadline extended to {format_instant(locked.due_at, zone)}",
        body=(
            f"The deadline of data-subject request {locked.reference} is extended by "
            f"{months} month(s), to {due}.\n\nReason: {locked.extension_reason}"
            "\n\nUnder Art. 12(3) GDPR the data subject must be told of the extension and its "
            f"reasons by {inform_by}: the end of the first month from your receipt."
        ),
        key=f"dsar.extended:{locked.pk}:{months}",
    )
    ticket.refresh_from_db()
    return entry


# --- timeline ---------------------------------------------------------------------------------


@transaction.atomic
def dsar_reply_add(
    *, ticket: DsarTicket, author: User, body: str, visible_to_customer: bool
) -> DsarTimelineEntry:
    """Add to the timeline. Staff write internal notes or replies the customer sees; a customer
    user's reply is always visible, and goes to the assignee (or every Support Agent)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write something first.")
    customer = _is_customer(author)
    if customer:
        _check_customer_may_write(author, ticket.controller)
        if not ticket.is_open:
            raise ValidationError(f"{ticket.reference} is closed; it takes no more replies.")
        visible_to_customer = True
    kind = DsarTimelineEntry.Kind.REPLY if visible_to_customer else DsarTimelineEntry.Kind.NOTE
    entry = DsarTimelineEntry(
        ticket=ticket, kind=kind, author=author, body=body, visible_to_customer=visible_to_customer
    )
    history_save(entry, by=author, reason=f"dsar.timeline.{kind}")
    if customer:
        _notify_staff(
            ticket,
            kind="dsar.customer_reply",
            subject=f"{ticket.controller} replied",
            body=f"{ticket.controller} replied on {ticket.reference}:\n\n{body}",
            key=f"dsar.reply:{entry.pk}",
        )
    elif visible_to_customer:
        _notify_customer(
            ticket,
            kind="dsar.reply",
            subject="A reply on your request",
            body=f"Our reply on data-subject request {ticket.reference}:\n\n{body}",
            key=f"dsar.reply:{entry.pk}",
        )
    return entry


# --- propagation and attachments --------------------------------------------------------------


@transaction.atomic
def dsar_propagation_update(
    *, propagation: DsarPropagation, status: str, note: str = "", by: User | None
) -> None:
    if status not in DsarPropagation.Status.values:
        raise ValidationError(f"“{status}” is not a propagation status.")
    if status == DsarPropagation.Status.REFUSED and not (note or "").strip():
        raise ValidationError("Say why the subprocessor refused.")
    propagation.status = status
    propagation.note = note or ""
    history_save(propagation, by=by, reason=f"dsar.propagation.{status}")


@transaction.atomic
def dsar_attachment_add(
    *,
    ticket: DsarTicket,
    uploaded_by: User,
    upload: UploadedFile,
    visible_to_customer: bool = False,
) -> DsarAttachment:
    """Keep a file in private storage under a random name, after checking size and type."""
    name, content_type = check_upload(upload)
    attachment = DsarAttachment(
        ticket=ticket,
        original_name=name,
        content_type=content_type,
        size=upload.size or 0,
        visible_to_customer=visible_to_customer,
        uploaded_by=uploaded_by,
    )
    attachment.file.save(name, upload, save=False)
    # Should the row fail to save, the file must not stay behind with nothing pointing at it.
    stored = attachment.file.name
    try:
        history_save(attachment, by=uploaded_by, reason="dsar.attachment.added")
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    return attachment


def dsar_attachment_can_download(*, user: User, attachment: DsarAttachment) -> bool:
    """Staff who may view tickets; customer users currently belonging to the ticket's
    controller, and only for attachments marked visible to the customer."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return user.has_perm("dsar.view_dsarticket")
    if not attachment.visible_to_customer:
        return False
    return (
        Membership.objects.current()
        .filter(user=user, controller_id=attachment.ticket.controller_id)
        .exists()
    )


# --- scheduled work ---------------------------------------------------------------------------


def dsar_reminders_send(
    *, within_days: int = 3, dry_run: bool = False, at: datetime | None = None
) -> dict:
    """Warn the assignee (or every Support Agent) of open tickets due within `within_days` and
    of overdue ones, once per ticket, threshold and due date (the outbox drops repeats)."""
    at = at or timezone.now()
    counts = {"due_soon": 0, "overdue": 0, "already_warned": 0}
    # A superset (a day ends at another instant in each controller's zone); the clock decides.
    tickets = (
        DsarTicket.objects.open()
        .filter(due_at__lt=at + timedelta(days=within_days + 2))
        .select_related("assignee", "controller")
        .order_by("due_at")
    )
    for ticket in tickets:
        clock = ticket.clock(at)
        overdue = clock.overdue
        if not (overdue or clock.due_within(within_days)):
            continue
        threshold = "overdue" if overdue else f"due_within_{within_days}d"
        key = f"dsar.reminder:{ticket.pk}:{threshold}:{ticket.due_at:%Y%m%d}"
        recipients = _staff_recipients(ticket)
        if all(
            Notification.objects.filter(dedupe_key=f"{key}:{r.strip().lower()}").exists()
            for r in recipients
        ):
            counts["already_warned"] += 1
            continue
        counts["overdue" if overdue else "due_soon"] += 1
        if dry_run:
            continue
        with transaction.atomic():
            _notify_staff(
                ticket,
                kind=f"dsar.reminder.{'overdue' if overdue else 'due_soon'}",
                subject=f"{'Overdue' if overdue else 'Due soon'}: {ticket.controller}",
                body=(
                    f"Data-subject request {ticket.reference} ({ticket.controller}, "
                    f"{ticket.get_request_type_display()}): {clock.days_label} "
                    f"(statutory deadline "
                    f"{format_instant(ticket.due_at, ticket.zone, zone_name=True)})."
                ),
                key=key,
            )
    return counts


def dsar_deadlines_recompute(
    *,
    controller: Controller | None = None,
    by: User | None = None,
    reason: str = DEADLINE_RECOMPUTED_REASON,
    dry_run: bool = False,
) -> dict[str, int]:
    """Count the deadlines of open tickets anew from their receipt, with each controller's
    calendar as it stands (zone, region, public holidays, non-working days), and save those that
    moved, the history naming the rule. Closed tickets keep the deadlines they were worked to."""
    counts = {"checked": 0, "moved": 0}
    tickets = DsarTicket.objects.open().select_related("controller").order_by("controller", "pk")
    if controller is not None:
        tickets = tickets.filter(controller=controller)
    calendars: dict[int, DeadlineCalendar] = {}
    for ticket in tickets:
        counts["checked"] += 1
        if ticket.controller_id not in calendars:
            calendars[ticket.controller_id] = dsar_calendar_for(controller=ticket.controller)
        before = (ticket.statutory_due_at, ticket.due_at)
        ticket.compute_due_dates(calendars[ticket.controller_id])
        if (ticket.statutory_due_at, ticket.due_at) == before:
            continue
        if dry_run:
            counts["moved"] += 1
            continue
        with transaction.atomic():
            # Counted again on the locked row: an extension may have come in meanwhile.
            locked = DsarTicket.objects.select_for_update().get(pk=ticket.pk)
            locked.controller = ticket.controller
            stored = (locked.statutory_due_at, locked.due_at)
            locked.compute_due_dates(calendars[ticket.controller_id])
            if (locked.statutory_due_at, locked.due_at) != stored and locked.is_open:
                counts["moved"] += 1
                history_save(
                    locked,
                    by=by,
                    reason=reason,
                    update_fields=["statutory_due_at", "due_at", "updated_at"],
                )
    return counts


def dsar_subjects_to_scrub(*, at: datetime | None = None) -> QuerySet[DsarTicket]:
    at = at or timezone.now()
    return DsarTicket.objects.filter(
        request_type=DsarTicket.RequestType.ERASURE,
        status=Status.COMPLETED,
        closed_at__lte=at - timedelta(days=settings.DSAR_SCRUB_AFTER_DAYS),
        scrubbed_at__isnull=True,
    )


def dsar_subject_scrub(
    *, ticket: DsarTicket, by: User | None = None, actor: str = SCRUB_ACTOR
) -> ErasureCounts:
    """Erase the data subject of a completed erasure from the ticket and every copy of it.

    Erasure (Art. 17) reaches the subject's identifier wherever we keep it, our own trail
    included (apps/dsar/erasure.py): the identifier field is scrubbed, every other occurrence
    (details, timeline, propagation notes, attachments' names, outbox messages, logs, task
    results, and all their history rows) reads "[erased]". Past history rows change only
    through the audit trail's scrub, which records each row's content before and after. The
    ticket keeps a keyed hash of the identifier, scrubbed_at and scrubbed_by; its new history
    row has the reason "dsar.subject_scrubbed".
    """
    with transaction.atomic():
        locked = DsarTicket.objects.select_for_update().get(pk=ticket.pk)
        if locked.scrubbed_at is not None:
            return ErasureCounts()
        counts = dsar_ticket_erase_everywhere(
            ticket=locked,
            by=by,
            reason="dsar.subject_scrubbed",
            scrubbed_at=timezone.now(),
            scrubbed_by=actor,
        )
    ticket.refresh_from_db()
    return counts
