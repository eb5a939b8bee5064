"""What /healthz reports about the task queue: how long the oldest waiting task has waited,
and how many failed. A queue whose oldest task waits past TASKS_STUCK_AFTER has no worker
taking its tasks (or too few), and the endpoint answers 503 so that monitoring says so.

Both backends are read directly: the database backend's table (django-tasks-db's model) and
RQ's queues on Redis. Core reads no app of ours.
"""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max


@dataclass(frozen=True)
class QueueState:
    backend: str
    waiting: int | None = None
    oldest_waiting_seconds: int | None = None
    failed: int | None = None
    error: str = ""

    @property
    def stuck(self) -> bool:
        if self.error:
            return True
        waited = self.oldest_waiting_seconds
        return waited is not None and waited > settings.TASKS_STUCK_AFTER

    def as_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if v not in (None, "")}
        data["stuck_after_seconds"] = settings.TASKS_STUCK_AFTER
        data["state"] = "stuck" if self.stuck else "ok"
        return data


def _seconds_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(int((now - moment).total_seconds()), 0)


def _database_queue(backend: DatabaseBackend, now: datetime) -> QueueState:
    results = DBTaskResult.objects.filter(backend_name=backend.alias)
    ready = results.ready()
    # A task waits from when it was enqueued, or from its run_after if it was deferred.
    undeferred = (
        ready.filter(run_after=get_date_max())
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    deferred = (
        ready.exclude(run_after=get_date_max())
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    since = min((m for m in (undeferred, deferred) if m is not None), default=None)
    return QueueState(
        backend="database",
        waiting=ready.count(),
        oldest_waiting_seconds=_seconds_since(since, now),
        failed=results.failed().count(),
    )


def _rq_queue(backend, now: datetime) -> QueueState:
    # RQ is loaded only where the queue lives on Redis (TASKS_BACKEND=rq, or a test of it).
    import django_rq
    from redis.exceptions import RedisError
    from rq.job import Job

    waiting = failed = 0
    since: datetime | None = None
    try:
        for name in sorted(backend.queues):
            queue = django_rq.get_queue(name)
            waiting += queue.count
            failed += queue.failed_job_registry.count
            first = queue.get_job_ids(0, 1)
            job = Job.fetch(first[0], connection=queue.connection) if first else None
            if job is not None and job.enqueued_at is not None:
                enqueued = job.enqueued_at
                if timezone.is_naive(enqueued):
                    enqueued = enqueued.replace(tzinfo=UTC)  # RQ keeps UTC
                since = enqueued if since is None else min(since, enqueued)
    except RedisError as error:
        return QueueState(backend="rq", error=f"Redis unreachable: {type(error).__name__}")
    return QueueState(
        backend="rq",
        waiting=waiting,
        oldest_waiting_seconds=_seconds_since(since, now),
        failed=failed,
    )


def task_queue_state(*, now: datetime | None = None) -> QueueState:
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    now = now or timezone.now()
    if isinstance(backend, DatabaseBackend):
        return _database_queue(backend, now)
    if type(backend).__module__.startswith("django_tasks_rq"):
        return _rq_queue(backend, now)
    # Tasks that run where they are enqueued (tests) have no queue to watch.
    return QueueState(backend=type(backend).__name__)
