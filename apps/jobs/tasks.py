"""The task wrapper that makes long work a job: `job_task`.

    @job_task
    def build_data_export(job: Job, *, export_id: int) -> JobResult:
        ...
        job_progress(job=job, done=3, total=9, step="Record of processing")
        ...
        return JobResult(summary="...", link_name="portal:data_export_download", link_args=[...])

`build_data_export` is then a django-tasks task that takes one argument, the job's id: a service
starts it with `job_start(task=build_data_export, arguments={"export_id": ...}, ...)`. When a
worker runs it, the job is marked running, the work is called with the job and its arguments,
and the job ends done with its result, or failed with a reason the person can read: the
messages of a ValidationError (a refusal), or "an unexpected error" naming its type (the
traceback goes to the log and to the task queue's own record, not to a customer's page). The
work must be safe to run again: a retry runs it from the start.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from apps.core.tasks import Task, task
from apps.jobs.models import Job
from apps.jobs.services import JobLost, JobResult, job_begin, job_fail, job_finish

logger = logging.getLogger(__name__)

JobWork = Callable[..., JobResult]


def unexpected_failure(error: BaseException) -> str:
    return (
        f"It stopped on an unexpected error ({type(error).__name__}). Retry it; if it fails "
        "again, our team has the details."
    )


def job_run(*, job_id: int, work: JobWork, task_result_id: str = "") -> dict[str, Any]:
    """Run a queued job's work and record how it ended; returns the job's state and its data."""
    job = job_begin(job_id=job_id, task_result_id=task_result_id)
    if job is None:
        return {"state": "skipped"}
    try:
        result = work(job, **job.arguments)
    except JobLost:
        return {"state": "lost"}
    except ValidationError as error:
        try:
            job_fail(job=job, reason=" ".join(error.messages))
        except JobLost:
            return {"state": "lost"}
        return {"state": "failed"}
    except Exception as error:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        try:
            job_fail(job=job, reason=unexpected_failure(error))
        except JobLost:
            return {"state": "lost"}
        # Raised again, so that the task queue records the failure (and /healthz counts it).
        raise
    try:
        job = job_finish(job=job, result=result)
    except JobLost:
        return {"state": "lost"}
    return {"state": "done", **result.data}


def job_task(work: JobWork) -> Task:
    """Make `work(job, **arguments) -> JobResult` a task that runs it as a job (see above).

    The task takes the job's id; django-tasks finds it by the work's module and name, so it must
    be a module-level function in a tasks.py, and the task is bound to that same name.
    """

    def run(context, job_id: int) -> dict[str, Any]:
        return job_run(job_id=job_id, work=work, task_result_id=context.task_result.id)

    # Not functools.wraps: the queue checks the signature of `run` (context first), which
    # __wrapped__ would hide behind the work's.
    run.__module__ = work.__module__
    run.__name__ = work.__name__
    run.__qualname__ = work.__qualname__
    run.__doc__ = work.__doc__
    run.runs_a_job = True  # type: ignore[attr-defined]
    run.work = work  # type: ignore[attr-defined]
    return task(takes_context=True)(run)


def job_run_here(job: Job) -> dict[str, Any]:
    """Run a queued job in this process, as a worker would (a command that waits for its job)."""
    started: Task = import_string(job.task_path)
    return job_run(job_id=job.pk, work=started.func.work)  # type: ignore[attr-defined]
