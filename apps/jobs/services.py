"""Every write on jobs. A service that starts long work calls `job_start`; the task wrapper
(tasks.py) calls `job_begin`, `job_progress`, `job_finish` and `job_fail`; the job's pages call
`job_retry`.

Progress is written at most once a second (each write is a history row, chained into the trail),
and always when the step changes or the work is complete, so a notice to 2,000 controllers
leaves a few dozen progress rows, not 2,000.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.core.history import history_save
from apps.core.tasks import Task, task_enqueue_on_commit
from apps.jobs.models import Job

logger = logging.getLogger(__name__)

State = Job.State

PROGRESS_EVERY = timedelta(seconds=1)

PROGRESS_FIELDS = ["progress_done", "progress_total", "step", "updated_at"]


class JobLost(Exception):
    """The job was taken over by another run (retried after it stalled): stop working on it."""


@dataclass
class JobResult:
    """What a job's work hands back: what it did, and where its result is.

    `link_name` and `link_args` name a page (a URL name and its arguments); `file` is a document
    (bytes) kept in private storage and served only on the job's page, for JOB_RESULT_DAYS.
    `data` is JSON returned to the task queue (counts, for a command that waits on it).
    """

    summary: str = ""
    link_name: str = ""
    link_args: list = field(default_factory=list)
    link_label: str = ""
    file: bytes | None = None
    filename: str = ""
    data: dict = field(default_factory=dict)


def job_start(
    *,
    task: Task,
    kind: str,
    title: str,
    by: AbstractBaseUser | None,
    controller: models.Model | None = None,
    arguments: dict | None = None,
    enqueue: bool = True,
) -> Job:
    """Record a job and enqueue its task once the transaction commits: the request returns at
    once, and a worker does the work. `task` is a task made with `job_task`; `arguments` (JSON)
    are handed to its work, now and on every retry. With `enqueue` False the caller runs it
    itself (`job_run_here`, for a command)."""
    if not getattr(task.func, "runs_a_job", False):
        raise TypeError(f"{task.name} is not a job task: decorate its work with job_task.")
    job = Job(
        kind=kind,
        title=title[:250],
        # The project's user and a controller: their apps are not imported here (accounts is
        # beside jobs, controllers above), so they are typed by what this floor knows.
        started_by=cast(Any, by),
        controller=cast(Any, controller),
        task_path=task.module_path,
        arguments=arguments or {},
    )
    history_save(job, by=by, reason="jobs.job.queued")
    if enqueue:
        task_enqueue_on_commit(task, job_id=job.pk)
    return job


def job_begin(*, job_id: int, task_result_id: str = "") -> Job | None:
    """A worker takes a queued job: it is running now, under a fresh run token. None if there is
    nothing to run (the job is gone, finished, or another run holds it)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != State.QUEUED:
            return None
        job.state = State.RUNNING
        job.run_token = uuid.uuid4()
        job.attempts += 1
        job.started_at = timezone.now()
        job.progress_done = 0
        job.progress_total = None
        job.step = ""
        job.failure_reason = ""
        job.task_result_id = task_result_id[:64]
        history_save(job, by=None, reason="jobs.job.started")
    return job


def _locked_run(job: Job) -> Job:
    """The job's row, locked, if `job` (a run's copy) still holds it; else JobLost."""
    locked = Job.objects.select_for_update().get(pk=job.pk)
    if locked.run_token is None or locked.run_token != job.run_token:
        raise JobLost(f"Job {job.pk} is no longer this run's.")
    return locked


def job_progress(*, job: Job, done: int, total: int | None = None, step: str | None = None) -> None:
    """Record how far a running job has come: `done` of `total` items, and what it is doing.

    `job` is the run's copy (from `job_begin`); it always holds the latest counts. The row is
    written at most once every PROGRESS_EVERY, and whenever the step changes or the work is
    complete. Raises JobLost if another run has taken the job over.
    """
    now = timezone.now()
    new_step = step is not None and step[:200] != job.step
    complete = total is not None and done >= total
    job.progress_done = max(done, 0)
    if total is not None:
        job.progress_total = max(total, 0)
    if step is not None:
        job.step = step[:200]
    if not (new_step or complete or now - job.updated_at >= PROGRESS_EVERY):
        return
    with transaction.atomic():
        locked = _locked_run(job)
        locked.progress_done = job.progress_done
        locked.progress_total = job.progress_total
        locked.step = job.step
        history_save(locked, by=None, reason="jobs.job.progress", update_fields=PROGRESS_FIELDS)
    job.updated_at = locked.updated_at


def job_finish(*, job: Job, result: JobResult) -> Job:
    """The work is done: record what it did and where its result is."""
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_run(job)
        locked.state = State.DONE
        locked.finished_at = now
        # Done is all of it: the counts read "n of n" (1 of 1 for work that never counted).
        total = job.progress_total or locked.progress_total or max(job.progress_done, 1)
        locked.progress_total = locked.progress_done = total
        locked.step = ""
        locked.summary = result.summary[:500]
        locked.result_url_name = result.link_name
        locked.result_url_args = list(result.link_args)
        locked.result_label = result.link_label[:200]
        if result.file is not None:
            filename = result.filename or "result"
            locked.result_file.save(filename, ContentFile(result.file), save=False)
            locked.result_filename = filename[:200]
            locked.result_expires_at = now + timedelta(days=settings.JOB_RESULT_DAYS)
        locked.run_token = None
        history_save(locked, by=None, reason="jobs.job.done")
    return locked


def job_fail(*, job: Job, reason: str) -> Job:
    """The work stopped: record why, in words the person who started it can act on."""
    with transaction.atomic():
        locked = _locked_run(job)
        locked.state = State.FAILED
        locked.finished_at = timezone.now()
        locked.failure_reason = (reason or "It stopped without saying why.")[:2000]
        locked.step = ""
        locked.run_token = None
        history_save(locked, by=None, reason="jobs.job.failed")
    return locked


def job_may_retry(*, job: Job, user) -> bool:
    """The person who started a job retries it; other staff only with the change permission."""
    if user is None or not user.is_authenticated:
        return False
    if job.started_by_id is not None and job.started_by_id == user.pk:
        return True
    return bool(user.is_staff and user.has_perm("jobs.change_job"))


@transaction.atomic
def job_retry(*, job: Job, by: AbstractBaseUser) -> Job:
    """Run a failed job again (or one whose worker stopped): queued now, its task enqueued once
    the transaction commits. The work is written to be run again: what was done stays done."""
    locked = Job.objects.select_for_update().get(pk=job.pk)
    if not job_may_retry(job=locked, user=by):
        raise ValidationError(
            "Only the person who started this job, or staff allowed to change jobs, can retry it."
        )
    if locked.state == State.DONE:
        raise ValidationError("This job is done: there is nothing to retry.")
    if locked.state == State.QUEUED:
        raise ValidationError("This job is already waiting for a worker.")
    if locked.state == State.RUNNING and not locked.is_stalled():
        raise ValidationError("This job is running. Retry it if it fails.")
    return _requeue(locked, by=by, reason="jobs.job.retried", enqueue=True)


@transaction.atomic
def job_requeue(*, job: Job, enqueue: bool = True) -> Job:
    """Queue again a job no worker is on (`Job.is_abandoned`), for a command that catches up:
    enqueued anew, or (`enqueue` False) left for the caller to run here."""
    locked = Job.objects.select_for_update().get(pk=job.pk)
    if not locked.is_abandoned():
        return locked
    return _requeue(locked, by=None, reason="jobs.job.requeued", enqueue=enqueue)


def _requeue(locked: Job, *, by: AbstractBaseUser | None, reason: str, enqueue: bool) -> Job:
    try:
        task = import_string(locked.task_path)
    except ImportError as error:
        raise ValidationError("This kind of job can no longer be run.") from error
    locked.state = State.QUEUED
    locked.queued_at = timezone.now()
    locked.started_at = locked.finished_at = None
    locked.failure_reason = ""
    locked.progress_done = 0
    locked.progress_total = None
    locked.step = ""
    locked.run_token = None
    locked.task_result_id = ""
    history_save(locked, by=by, reason=reason)
    if enqueue:
        task_enqueue_on_commit(task, job_id=locked.pk)
    return locked


def _erase_result(job: Job, *, by: AbstractBaseUser | None, reason: str) -> None:
    name, storage = job.result_file.name, job.result_file.storage
    job.result_file = ""
    history_save(job, by=by, reason=reason, update_fields=["result_file", "updated_at"])
    transaction.on_commit(lambda: storage.delete(name))


def job_results_expire(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete the files of jobs past JOB_RESULT_DAYS; the jobs stay, saying the file expired."""
    now = now or timezone.now()
    expired = Job.objects.exclude(result_file="").filter(result_expires_at__lte=now)
    count = 0
    for job in expired.order_by("pk"):
        count += 1
        if not dry_run:
            with transaction.atomic():
                _erase_result(job, by=None, reason="jobs.job.result_expired")
    return count


def job_results_erase(*, controller: models.Model, by: AbstractBaseUser | None) -> int:
    """Delete the files of every job of a controller (its deletion); returns how many."""
    count = 0
    for job in Job.objects.for_controller(controller).exclude(result_file="").order_by("pk"):
        _erase_result(job, by=by, reason="jobs.job.result_erased")
        count += 1
    return count
