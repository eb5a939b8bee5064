"""Every write of deletion and return. The portal, the admin and the commands call these."""

import hashlib
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import PRIVACY_OFFICER
from apps.controllers.models import Controller, Membership
from apps.core.history import history_delete, history_save
from apps.core.legaltime import format_instant
from apps.core.workflow import Workflow
from apps.dsar.erasure import (
    ErasureCounts,
    dsar_ticket_erase_everywhere,
    logs_redact,
    ticket_identifiers,
    user_erase_everywhere,
)
from apps.dsar.models import SCRUBBED, DsarAttachment, DsarTicket
from apps.jobs.models import Job
from apps.jobs.selectors import job_for
from apps.jobs.services import job_requeue, job_results_erase, job_start
from apps.jobs.tasks import job_run_here
from apps.notifications.services import notification_enqueue
from apps.offboarding.exports import EXPORT_STEPS, data_export_zip
from apps.offboarding.models import DataExport, DeletionRequest
from apps.processors.models import Processor
from apps.trail.services import history_rows_scrub

Status = DeletionRequest.Status

# The allowed moves of a deletion request; every door goes through deletion_request_transition.
DELETION_WORKFLOW: Workflow[DeletionRequest] = Workflow(
    DeletionRequest,
    {
        Status.REQUESTED: {Status.COOLING_OFF},
        Status.COOLING_OFF: {Status.CANCELLED, Status.CONFIRMED},
        Status.CONFIRMED: {Status.COMPLETED},
        Status.CANCELLED: set(),
        Status.COMPLETED: set(),
    },
)
DELETION_TRANSITIONS = DELETION_WORKFLOW.moves

ERASED_EMAIL_DOMAIN = "erased.invalid"
ERASURE_ACTOR = "offboarding.deletion"


def _fmt(moment: datetime) -> str:
    return format_instant(moment, UTC)


def _admin_emails(controller: Controller) -> list[str]:
    return list(
        Membership.objects.current()
        .filter(controller=controller, role=Membership.Role.ADMIN, user__is_active=True)
        .values_list("user__email", flat=True)
    )


def _privacy_officer_emails() -> list[str]:
    return list(
        User.objects.filter(groups__name=PRIVACY_OFFICER, is_active=True).values_list(
            "email", flat=True
        )
    )


def _is_privacy_officer(user) -> bool:
    return user.is_superuser or user.groups.filter(name=PRIVACY_OFFICER).exists()


# How a job's work reports how far it has come: (items done, items in all, what it is doing).
Progress = Callable[[int, int | None, str], None]


def _no_progress(done: int, total: int | None, step: str) -> None:
    return None


def _tasks():
    # Imported when a job starts, not with this module: tasks.py imports this module for the
    # work its jobs run.
    from apps.offboarding import tasks

    return tasks


# --- data export ------------------------------------------------------------------------------


def data_export_check(*, controller: Controller) -> None:
    if controller.status != Controller.Status.ACTIVE:
        raise ValidationError(f"{controller} is no longer a customer: its data was deleted.")
    if DataExport.objects.filter(controller=controller, status=DataExport.Status.PENDING).exists():
        raise ValidationError(
            "An export of your data is already being prepared; you will be emailed when it is "
            "ready."
        )


EXPORT_JOB = "offboarding.data_export"


def data_export_job_start(*, export: DataExport, by: User | None, enqueue: bool = True) -> Job:
    """Hand the building of an export's ZIP to a worker, as a job its requester follows."""
    return job_start(
        task=_tasks().build_data_export,
        kind=EXPORT_JOB,
        title=f"Export of all data of {export.controller}",
        by=by,
        controller=export.controller,
        arguments={"export_id": export.pk},
        enqueue=enqueue,
    )


@transaction.atomic
def data_export_request(*, controller: Controller, by: User | None) -> DataExport:
    """A customer admin asks for a copy of all its data; a job (a worker) makes it."""
    controller = Controller.objects.select_for_update().get(pk=controller.pk)
    data_export_check(controller=controller)
    export = DataExport(controller=controller, requested_by=by)
    history_save(export, by=by, reason="offboarding.export.requested")
    data_export_job_start(export=export, by=by)
    return export


def data_export_job(*, export: DataExport) -> Job | None:
    """The job that builds (or last built) an export."""
    return job_for(kind=EXPORT_JOB, export_id=export.pk)


@transaction.atomic
def data_export_reopen(*, export: DataExport, by: User | None) -> DataExport:
    """A failed export is tried again (its job is retried): pending once more, unless another
    export of the same controller is being prepared."""
    export = DataExport.objects.select_for_update().select_related("controller").get(pk=export.pk)
    if export.status != DataExport.Status.FAILED:
        return export
    data_export_check(controller=export.controller)
    export.status = DataExport.Status.PENDING
    export.error = ""
    history_save(export, by=by, reason="offboarding.export.retried")
    return export


@transaction.atomic
def data_export_fail(*, export: DataExport, error: str) -> DataExport:
    """Record why an export could not be made; its requester may retry its job, or ask anew."""
    export = DataExport.objects.select_for_update().get(pk=export.pk)
    if export.status == DataExport.Status.PENDING:
        export.status = DataExport.Status.FAILED
        export.error = error[:2000]
        history_save(export, by=None, reason="offboarding.export.failed")
    return export


def data_export_build(
    *, export: DataExport, now: datetime | None = None, progress: Progress = _no_progress
) -> DataExport:
    """Make the ZIP of a pending export, keep it in private storage and email the requester.

    The ZIP is written outside any transaction, so that the job's progress shows while it is
    made and no row stays locked meanwhile; the export is then marked ready under its lock,
    unless another run got there first.
    """
    now = now or timezone.now()
    export = DataExport.objects.select_related("controller").get(pk=export.pk)
    if export.status != DataExport.Status.PENDING:
        return export
    # Spills to disk past a few megabytes: a large export never sits whole in memory.
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        data_export_zip(export.controller, into=spool, progress=progress)
        progress(EXPORT_STEPS - 1, EXPORT_STEPS, "Keeping the ZIP in private storage")
        with transaction.atomic():
            export = (
                DataExport.objects.select_for_update(of=("self",))
                .select_related("controller", "requested_by")
                .get(pk=export.pk)
            )
            if export.status != DataExport.Status.PENDING:
                return export
            export.file.save(export.filename(), File(spool), save=False)
            export.size = export.file.size
            export.status = DataExport.Status.READY
            export.ready_at = now
            export.expires_at = now + timedelta(days=settings.OFFBOARDING_EXPORT_LINK_DAYS)
            history_save(export, by=None, reason="offboarding.export.ready")
            _export_ready_email(export)
    return export


def _export_ready_email(export: DataExport) -> None:
    requester = export.requested_by if export.requested_by_id else None
    if requester is None or not requester.is_active or export.expires_at is None:
        return
    link = settings.PORTAL_BASE_URL + reverse(
        "portal:data_export_download", kwargs={"export_id": export.pk}
    )
    notification_enqueue(
        recipients=[requester.email],
        subject=f"Your data export for {export.controller} is ready",
        body=(
            f"The export of all data we hold for {export.controller} is ready.\n\n"
            f"Download it (sign-in required) until {_fmt(export.expires_at)}:\n{link}\n"
        ),
        kind="offboarding.export_ready",
        related=export,
        dedupe_key=f"offboarding.export_ready:{export.pk}",
        sensitive=True,
    )


def data_exports_build_pending(*, dry_run: bool = False) -> tuple[int, int]:
    """Build, here, each pending export no worker is on: its job's task was never enqueued or
    its worker stopped (or it has no job at all). Returns (built, failed); one failure does not
    stop the rest. A job that is queued or running as it should is left to its worker."""
    built = failed = 0
    pending = DataExport.objects.filter(status=DataExport.Status.PENDING).select_related(
        "controller", "requested_by"
    )
    for export in pending.order_by("pk"):
        job = data_export_job(export=export)
        if job is not None and not job.is_finished and not job.is_abandoned():
            continue
        if dry_run:
            built += 1
            continue
        if job is None or job.is_finished:
            job = data_export_job_start(export=export, by=export.requested_by, enqueue=False)
        else:
            job = job_requeue(job=job, enqueue=False)
        try:
            outcome = job_run_here(job)
        except Exception:  # recorded on the export and its job, so its requester can retry
            outcome = {"state": "failed"}
        if outcome["state"] == "done":
            built += 1
        elif outcome["state"] == "failed":
            failed += 1
    return built, failed


# --- deletion ---------------------------------------------------------------------------------


def deletion_request_transition(
    *, request: DeletionRequest, to: str, by: User | None, reason: str
) -> None:
    """The one place a deletion request changes state, under the lock of its row; the fields the
    caller set on `request` are saved with the move."""
    DELETION_WORKFLOW.move(request, to, by=by, reason=reason)


def deletion_request_check(*, controller: Controller, confirmation: str) -> None:
    if controller.status != Controller.Status.ACTIVE:
        raise ValidationError(f"{controller} is no longer a customer: its data was deleted.")
    if DeletionRequest.objects.filter(
        controller=controller, status__in=DeletionRequest.PENDING
    ).exists():
        raise ValidationError(
            f"A deletion request for {controller} is already pending: cancel it before asking "
            "again."
        )
    if (confirmation or "").strip() != controller.legal_name:
        raise ValidationError(
            {
                "confirmation": f"Type the organisation's legal name, {controller.legal_name}, exactly."
            }
        )


@transaction.atomic
def deletion_request_create(
    *, controller: Controller, confirmation: str, by: User, now: datetime | None = None
) -> DeletionRequest:
    """A customer admin asks us to delete all its data; the cooling-off period starts now."""
    now = now or timezone.now()
    controller = Controller.objects.select_for_update().get(pk=controller.pk)
    deletion_request_check(controller=controller, confirmation=confirmation)
    request = DeletionRequest(controller=controller, requested_by=by, requested_at=now)
    try:
        with transaction.atomic():
            history_save(request, by=by, reason="offboarding.deletion.requested")
    except IntegrityError as error:  # a concurrent request won the race
        raise ValidationError(
            f"A deletion request for {controller} is already pending: cancel it before asking "
            "again."
        ) from error
    request.cooling_off_ends_at = now + timedelta(days=settings.OFFBOARDING_COOLING_OFF_DAYS)
    deletion_request_transition(
        request=request, to=Status.COOLING_OFF, by=by, reason="offboarding.deletion.cooling_off"
    )
    notification_enqueue(
        recipients=_admin_emails(controller) + _privacy_officer_emails(),
        subject=f"Deletion of {controller}'s data requested",
        body=(
            f"{by.email} asked that we delete all data we hold for {controller}.\n\n"
            f"Any admin of {controller} can cancel the request in the portal until "
            f"{_fmt(request.cooling_off_ends_at)}. After that a Privacy Officer confirms it and "
            "the data is erased."
        ),
        kind="offboarding.deletion_requested",
        related=request,
        dedupe_key=f"offboarding.deletion_requested:{request.pk}",
        sensitive=True,
    )
    return request


@transaction.atomic
def deletion_request_cancel(*, request: DeletionRequest, by: User) -> DeletionRequest:
    """Any admin of the controller withdraws the request while it is still cooling off."""
    request = DeletionRequest.objects.select_for_update().get(pk=request.pk)
    DELETION_WORKFLOW.check(request, Status.CANCELLED)
    request.cancelled_by = by
    request.cancelled_at = timezone.now()
    deletion_request_transition(
        request=request, to=Status.CANCELLED, by=by, reason="offboarding.deletion.cancelled"
    )
    notification_enqueue(
        recipients=_admin_emails(request.controller) + _privacy_officer_emails(),
        subject=f"Deletion of {request.controller}'s data cancelled",
        body=f"{by.email} cancelled the request to delete the data of {request.controller}.",
        kind="offboarding.deletion_cancelled",
        related=request,
        dedupe_key=f"offboarding.deletion_cancelled:{request.pk}",
        sensitive=True,
    )
    return request


@transaction.atomic
def deletion_request_confirm(
    *, request: DeletionRequest, by: User, now: datetime | None = None
) -> DeletionRequest:
    """A Privacy Officer confirms a request whose cooling-off period is over."""
    now = now or timezone.now()
    if not _is_privacy_officer(by):
        raise ValidationError("Only a Privacy Officer can confirm a deletion.")
    request = DeletionRequest.objects.select_for_update().get(pk=request.pk)
    ends = request.cooling_off_ends_at
    if request.status == Status.COOLING_OFF and ends is not None and now < ends:
        raise ValidationError(
            f"The cooling-off period of {request.controller}'s request ends "
            f"{_fmt(ends)}; it can be confirmed only after that."
        )
    request.confirmed_by = by
    request.confirmed_at = now
    deletion_request_transition(
        request=request, to=Status.CONFIRMED, by=by, reason="offboarding.deletion.confirmed"
    )
    return request


def _erase_tickets(controller: Controller, *, by, now, copies: ErasureCounts) -> dict[str, int]:
    tickets = erased = attachments = 0
    identifiers: set[str] = set()
    for ticket in DsarTicket.objects.for_controller(controller).select_for_update().order_by("pk"):
        tickets += 1
        if ticket.data_subject_identifier != SCRUBBED or ticket.details:
            erased += 1
        identifiers.update(ticket_identifiers(ticket))
        # The identifier, wherever it was typed or quoted (the ticket's text, its timeline,
        # propagation notes, attachments' names, the outbox, the logs, all their history);
        # the ticket keeps a keyed hash of it as proof.
        copies.merge(
            dsar_ticket_erase_everywhere(
                ticket=ticket,
                by=by,
                reason="offboarding.dsar_subject_erased",
                scrubbed_at=now,
                scrubbed_by=ERASURE_ACTOR,
                logs=False,
            )
        )
        if ticket.details:
            ticket.details = ""
            history_save(ticket, by=by, reason="offboarding.dsar_subject_erased")
        # Past history rows change only through the audit trail's guarded scrub.
        history_rows_scrub(
            rows=DsarTicket.history.model.objects.filter(id=ticket.pk).exclude(details=""),
            values={"details": ""},
            by=by,
            reason="offboarding.dsar_subject_erased",
        )
        for attachment in ticket.attachments.all():
            attachments += 1
            name = attachment.file.name
            history_delete(attachment, by=by, reason="offboarding.dsar_attachment_erased")
            # The file goes only once the erasure is committed: a rollback keeps it.
            storage = attachment.file.storage
            transaction.on_commit(partial(storage.delete, name))
        history_rows_scrub(
            rows=DsarAttachment.history.model.objects.filter(ticket_id=ticket.pk).exclude(
                original_name=SCRUBBED
            ),
            values={"original_name": SCRUBBED},
            by=by,
            reason="offboarding.dsar_attachment_erased",
        )
    # The logs are searched once for every ticket's identifiers, not once per ticket.
    copies.merge(
        logs_redact(identifiers=identifiers, by=by, reason="offboarding.dsar_subject_erased")
    )
    return {"dsar_tickets": tickets, "dsar_subject_identifiers": erased, "dsar_files": attachments}


def _erase_users(controller: Controller, *, by, now, copies: ErasureCounts) -> dict[str, int]:
    ended = erased = 0
    memberships = Membership.objects.filter(controller=controller).select_related("user")
    for membership in memberships.order_by("pk"):
        user = membership.user
        if membership.is_current:
            membership.expires_at = now
            history_save(membership, by=by, reason="offboarding.membership_ended")
            ended += 1
        elsewhere = (
            Membership.objects.current(at=now)
            .filter(user=user)
            .exclude(controller=controller)
            .exists()
        )
        if elsewhere or user.is_staff:
            continue
        placeholder = f"erased-{user.pk}@{ERASED_EMAIL_DOMAIN}"
        if user.email != placeholder:
            erased += 1
        former_email = user.email
        user.email = placeholder
        user.full_name = ""
        user.is_active = False
        user.set_unusable_password()
        history_save(user, by=by, reason="offboarding.user_erased")
        history_rows_scrub(
            rows=User.history.model.objects.filter(id=user.pk).exclude(
                email=placeholder, full_name=""
            ),
            values={"email": placeholder, "full_name": ""},
            by=by,
            reason="offboarding.user_erased",
        )
        if former_email != placeholder:
            copies.merge(
                user_erase_everywhere(
                    email=former_email,
                    placeholder=placeholder,
                    by=by,
                    reason="offboarding.user_erased",
                )
            )
    return {"memberships_ended": ended, "users": erased}


def _erase_exports(controller: Controller, *, by) -> int:
    erased = 0
    for export in DataExport.objects.for_controller(controller).exclude(file="").order_by("pk"):
        name, storage = export.file.name, export.file.storage
        export.file = ""
        export.status = DataExport.Status.ERASED
        history_save(export, by=by, reason="offboarding.export_erased")
        transaction.on_commit(partial(storage.delete, name))
        erased += 1
    return erased


def certificate_pdf(*, request: DeletionRequest) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "offboarding/deletion_certificate.html",
        {
            "request": request,
            "controller": request.controller,
            "processor": Processor.objects.order_by("pk").first(),
            "counts": certificate_counts(request=request),
        },
    )
    return HTML(string=html).write_pdf()


COUNT_LABELS = {
    "dsar_tickets": "Data-subject request tickets whose personal data was erased",
    "dsar_subject_identifiers": "Data-subject identifiers erased (tickets and their history)",
    "dsar_files": "Data-subject request attachment files deleted",
    "users": "Customer user accounts erased (name and email, also in history)",
    "memberships_ended": "Portal memberships ended",
    "export_files": "Data export files deleted",
    "document_files": "Documents made on request (PDFs) deleted",
    "copies_erased": "Rows and history rows rewritten to erase an identifier or address: "
    "tickets, timelines, notes, attachment names, outbox messages, security events, logs, "
    "jobs and task results",
}


def certificate_counts(*, request: DeletionRequest) -> list[tuple[str, int]]:
    return [(label, request.erased_counts.get(key, 0)) for key, label in COUNT_LABELS.items()]


ERASURE_JOB = "offboarding.deletion_erasure"


def deletion_erasure_check(*, request: DeletionRequest, by: User) -> None:
    """What must hold before an erasure is handed to a worker (and again when it runs)."""
    if not _is_privacy_officer(by):
        raise ValidationError("Only a Privacy Officer can carry out a deletion.")
    DELETION_WORKFLOW.check(request, Status.COMPLETED)
    job = job_for(kind=ERASURE_JOB, request_id=request.pk)
    if job is not None and not job.is_finished and not job.is_abandoned():
        raise ValidationError(
            f"The erasure of {request.controller}'s data is under way already: see its job."
        )


@transaction.atomic
def deletion_erasure_start(*, request: DeletionRequest, by: User) -> Job:
    """Hand the erasure of a confirmed request to a worker, as a job the officer follows."""
    request = (
        DeletionRequest.objects.select_for_update().select_related("controller").get(pk=request.pk)
    )
    deletion_erasure_check(request=request, by=by)
    return job_start(
        task=_tasks().erase_deletion_request,
        kind=ERASURE_JOB,
        title=f"Erasure of the data of {request.controller}",
        by=by,
        controller=request.controller,
        arguments={"request_id": request.pk},
    )


@transaction.atomic
def deletion_request_execute(
    *, request: DeletionRequest, by: User, now: datetime | None = None
) -> DeletionRequest:
    """Erase the personal data of a confirmed request's controller and issue the certificate.

    Kept, as the law requires: the controller's legal identity and DPA acceptance, breach
    notifications and the audit trail itself (whose scrubs are recorded).
    """
    now = now or timezone.now()
    if not _is_privacy_officer(by):
        raise ValidationError("Only a Privacy Officer can carry out a deletion.")
    request = (
        DeletionRequest.objects.select_for_update().select_related("controller").get(pk=request.pk)
    )
    # Refused before anything is erased, not only when the request is marked completed.
    DELETION_WORKFLOW.check(request, Status.COMPLETED)
    controller = Controller.objects.select_for_update().get(pk=request.controller_id)
    copies = ErasureCounts()
    counts = _erase_tickets(controller, by=by, now=now, copies=copies)
    counts |= _erase_users(controller, by=by, now=now, copies=copies)
    counts["copies_erased"] = copies.rows + copies.history_rows
    counts["export_files"] = _erase_exports(controller, by=by)
    counts["document_files"] = job_results_erase(controller=controller, by=by)

    controller.status = Controller.Status.TERMINATED
    controller.terminated_on = max(now.date(), controller.dpa_accepted_on or now.date())
    history_save(controller, by=by, reason="offboarding.controller_terminated")

    request.controller = controller
    request.erased_counts = counts
    request.completed_at = now
    request.certificate.save(
        "certificate.pdf", ContentFile(certificate_pdf(request=request)), save=False
    )
    deletion_request_transition(
        request=request, to=Status.COMPLETED, by=by, reason="offboarding.deletion.completed"
    )
    facts = "\n".join(f"- {label}: {count}" for label, count in certificate_counts(request=request))
    digest = hashlib.sha256(request.certificate.open("rb").read()).hexdigest()
    request.certificate.close()
    notification_enqueue(
        recipients=[controller.contact_email, controller.dpo_email],
        subject=f"Certificate of deletion: {controller}",
        body=(
            f"The personal data we processed on behalf of {controller} has been erased, as "
            f"requested on {_fmt(request.requested_at)}.\n\n"
            f"Erased on {_fmt(now)}, confirmed by {by.get_full_name()}:\n{facts}\n\n"
            "Kept, as the law requires: your organisation's legal identity and DPA acceptance, "
            "breach notifications and our audit trail.\n\n"
            f"The certificate (SHA-256 {digest}) is kept by our privacy team; ask them for a copy."
        ),
        kind="offboarding.deletion_certificate",
        related=request,
        dedupe_key=f"offboarding.deletion_certificate:{request.pk}",
    )
    return request
