"""The job that e-mails every active controller about a subprocessor change."""

from apps.jobs.models import Job
from apps.jobs.services import JobResult, job_progress
from apps.jobs.tasks import job_task
from apps.subprocessors.models import SubprocessorChange
from apps.subprocessors.services import subprocessor_change_notices_send


@job_task
def send_subprocessor_change_notices(
    job: Job, *, change_id: int, notice: str, reason: str = ""
) -> JobResult:
    """The notice of an announced (or cancelled) change to the contact and DPO of every active
    controller, a batch at a time; the outbox delivers the e-mails."""
    change = SubprocessorChange.objects.select_related("subprocessor", "replaces").get(pk=change_id)

    def progress(done: int, total: int) -> None:
        job_progress(job=job, done=done, total=total, step="Queuing the e-mails to controllers")

    count = subprocessor_change_notices_send(
        change=change, notice=notice, reason=reason, progress=progress
    )
    return JobResult(
        summary=(
            f"The notice of “{change}” is queued for {count} active controller(s), to their "
            "contact and DPO; the outbox delivers the e-mails."
        ),
        link_name="admin:subprocessors_subprocessorchange_change",
        link_args=[change.pk],
        link_label="Open the change",
        data={"controllers": count},
    )
