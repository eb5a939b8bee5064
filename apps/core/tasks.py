"""Background work: django-tasks, the backport of Django 6's `django.tasks` API.

A task is a module-level function in `apps/<app>/tasks.py`, decorated with `task` from here;
its arguments and its return value are JSON (ids, not objects: the worker reads the rows).
A service that records work to do enqueues it with `task_enqueue_on_commit`, so the worker
finds the rows committed, and a request never waits for the work, nor fails when the queue
cannot be reached: what it recorded is saved, and a scheduled command finishes what a lost
enqueue left (e.g. `send_notifications` for the outbox).

The queue is the database (`manage.py db_worker`) or Redis (`TASKS_BACKEND=rq`, `manage.py
rqworker`); the code that enqueues is the same. On Django 6 only the import below changes.
"""

import logging
from typing import Any

from django.db import transaction
from django_tasks import TaskResultStatus, task
from django_tasks.base import Task

__all__ = ["Task", "TaskResultStatus", "task", "task_enqueue_committed", "task_enqueue_on_commit"]

logger = logging.getLogger(__name__)


def task_enqueue_committed(task: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` now, from an on-commit hook: a failure (the queue's database or Redis
    unreachable) is logged, not raised, since the change it follows has committed already."""
    try:
        task.enqueue(*args, **kwargs)
    except Exception:
        logger.exception("could not enqueue %s; its scheduled command will catch up", task.name)


def task_enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` with these (JSON) arguments once the current transaction commits.

    Nothing is enqueued if it rolls back; a failed enqueue is logged (task_enqueue_committed).
    """
    transaction.on_commit(lambda: task_enqueue_committed(task, *args, **kwargs))
