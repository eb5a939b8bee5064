"""A job for the tests of the job machinery: it counts, refuses, or fails on its first try."""

from django.core.exceptions import ValidationError

from apps.jobs.models import Job
from apps.jobs.services import JobResult, job_progress
from apps.jobs.tasks import job_task


@job_task
def count_to(job: Job, *, n: int, refuse: str = "", fail_first: bool = False) -> JobResult:
    if refuse:
        raise ValidationError(refuse)
    if fail_first and job.attempts == 1:
        raise RuntimeError("disk full under /srv/private/secret-path")
    for i in range(n):
        job_progress(job=job, done=i + 1, total=n, step="Counting")
    return JobResult(
        summary=f"Counted to {n}.", link_name="admin:index", link_label="Home", data={"n": n}
    )
