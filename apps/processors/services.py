from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.controllers.models import Controller
from apps.core.workflow import Workflow
from apps.jobs.models import Job
from apps.jobs.services import job_start
from apps.processors.models import ProcessingActivity
from apps.processors.tasks import make_register_pdf

Status = ProcessingActivity.Status

# The review cycle of a record entry: draft → in review → approved → (re-review or retire).
ACTIVITY_WORKFLOW: Workflow[ProcessingActivity] = Workflow(
    ProcessingActivity,
    {
        Status.DRAFT: {Status.IN_REVIEW, Status.RETIRED},
        Status.IN_REVIEW: {Status.DRAFT, Status.APPROVED, Status.RETIRED},
        Status.APPROVED: {Status.IN_REVIEW, Status.RETIRED},
        Status.RETIRED: {Status.DRAFT},
    },
    name=lambda activity: f"“{activity}”",
)
ACTIVITY_TRANSITIONS = ACTIVITY_WORKFLOW.moves


@transaction.atomic
def processing_activity_transition(
    *, activity: ProcessingActivity, to: str, by: User | None
) -> None:
    """Move an activity through its review cycle; approval records who approved it and when."""
    ACTIVITY_WORKFLOW.check(activity, to)
    changes: dict[str, object] = {}
    if to == Status.APPROVED:
        if not activity.covers_all_controllers and not activity.controllers.exists():
            raise ValidationError(
                f"“{activity}” covers listed controllers but lists none; list them first."
            )
        changes = {"approved_by": by, "approved_at": timezone.now()}
    elif to in (Status.DRAFT, Status.IN_REVIEW):
        changes = {"approved_by": None, "approved_at": None}
    ACTIVITY_WORKFLOW.move(activity, to, by=by, reason=f"processors.activity.{to}", changes=changes)


REGISTER_PDF_JOB = "processors.register_pdf"


def register_pdf_start(*, controller: Controller | None, by: User | None) -> Job:
    """Make the record of processing (for one controller, or for all) as a PDF in the
    background; the person who asked downloads it from the job's page."""
    title = (
        f"Record of processing of {controller} (PDF)"
        if controller is not None
        else "Record of processing, all controllers (PDF)"
    )
    return job_start(
        task=make_register_pdf,
        kind=REGISTER_PDF_JOB,
        title=title,
        by=by,
        controller=controller,
        arguments={"controller_id": controller.pk if controller is not None else None},
    )
