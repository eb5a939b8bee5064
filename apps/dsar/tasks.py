"""The reminders job: deadlines counted anew, then assignees warned of tickets due soon."""

from apps.dsar.services import dsar_deadlines_recompute, dsar_reminders_send
from apps.jobs.models import Job
from apps.jobs.services import JobResult, job_progress
from apps.jobs.tasks import job_task

REMINDERS_JOB = "dsar.reminders"


@job_task
def send_dsar_reminders(job: Job, *, days: int) -> JobResult:
    """Count open tickets' deadlines anew, then warn of those due within `days` and overdue."""
    job_progress(job=job, done=0, total=2, step="Counting open tickets' deadlines anew")
    moved = dsar_deadlines_recompute()["moved"]
    job_progress(job=job, done=1, total=2, step="Warning assignees")
    counts = dsar_reminders_send(within_days=days)
    return JobResult(
        summary=(
            f"Warned of {counts['due_soon']} ticket(s) due within {days} day(s) and "
            f"{counts['overdue']} overdue; {counts['already_warned']} already warned; "
            f"{moved} deadline(s) moved."
        ),
        link_name="admin:dsar_dsarticket_changelist",
        link_label="The work queue",
        data={"moved": moved, **counts},
    )
