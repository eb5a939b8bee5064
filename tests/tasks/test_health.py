"""/healthz reports the task queue of the database backend and answers 503 when it is stuck."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.notifications.tasks import deliver_notifications

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_STUCK_AFTER = 600


def age(result, **delta) -> None:
    # The library's own table (no history): moved back in time as a worker-less hour would.
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(**delta)
    )


def test_an_empty_queue_is_healthy(database_queue):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "tasks": {
            "backend": "database",
            "waiting": 0,
            "failed": 0,
            "stuck_after_seconds": 600,
            "state": "ok",
        },
    }


def test_the_oldest_waiting_task_and_the_failed_ones_are_reported(database_queue):
    age(deliver_notifications.enqueue(ids=[]), seconds=90)
    deliver_notifications.enqueue(ids=[])
    failed = deliver_notifications.enqueue(ids=[])
    DBTaskResult.objects.filter(pk=failed.id).update(status="FAILED")
    tasks = Client().get("/healthz").json()["tasks"]
    assert tasks["waiting"] == 2
    assert 90 <= tasks["oldest_waiting_seconds"] < 120
    assert tasks["failed"] == 1
    assert tasks["state"] == "ok"


def test_a_deferred_task_waits_from_its_run_after(database_queue):
    later = deliver_notifications.using(run_after=timezone.now() + timedelta(hours=1))
    age(later.enqueue(ids=[]), days=2)  # enqueued long ago, but not due for an hour
    tasks = Client().get("/healthz").json()["tasks"]
    assert tasks["waiting"] == 0 and "oldest_waiting_seconds" not in tasks


def test_a_queue_nobody_takes_tasks_from_answers_503(database_queue):
    age(deliver_notifications.enqueue(ids=[]), seconds=601)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["tasks"]["state"] == "stuck"
    assert response.json()["tasks"]["oldest_waiting_seconds"] >= 601
