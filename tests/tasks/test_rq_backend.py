"""The scale-out queue: a real task goes through Redis (django-tasks-rq) and an RQ worker runs
it. Needs the Redis of REDIS_URL (CI sets it and starts Redis)."""

import os
import uuid

import pytest
from django.core import mail
from django.test import Client
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from apps.notifications import services
from apps.notifications.models import Notification
from apps.notifications.services import notification_enqueue
from apps.notifications.tasks import deliver_notifications

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set: no Redis to test RQ against"),
]


@pytest.fixture
def rq_queue(settings, monkeypatch):
    """The RQ backend as TASKS_BACKEND=rq configures it, on a queue of this test's own (so that
    nothing else using this Redis sees its jobs, nor it theirs)."""
    import django_rq  # only with Redis at hand

    name = f"test-{uuid.uuid4().hex[:12]}"
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}, name: {"URL": REDIS_URL}}
    settings.TASKS = {
        DEFAULT_TASK_BACKEND_ALIAS: {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}
    }
    monkeypatch.setattr(
        services, "deliver_notifications", deliver_notifications.using(queue_name=name)
    )
    queue = django_rq.get_queue(name)
    yield queue
    queue.delete(delete_jobs=True)


def run_rq_worker(queue) -> None:
    """`manage.py rqworker --burst --job-class django_tasks_rq.Job`, in this process (so the
    task sees this test's rows): take every job waiting in Redis, run it, stop."""
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)


def test_mail_enqueued_through_redis_is_sent_by_an_rq_worker(
    rq_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notification_enqueue(
            recipients=["dpo@customer.test"], subject="Over Redis", body="Body", kind="test"
        )
    assert rq_queue.count == 1  # the job waits in Redis; nothing was sent yet
    assert mail.outbox == []
    job_id = rq_queue.get_job_ids()[0]

    run_rq_worker(rq_queue)

    assert [m.subject for m in mail.outbox] == ["Over Redis"]
    notification.refresh_from_db()
    assert notification.status == "sent"
    result = task_backends[DEFAULT_TASK_BACKEND_ALIAS].get_result(job_id)
    assert result.status == "SUCCESSFUL"
    assert result.return_value == {"sent": 1, "failed": 0}
    assert rq_queue.count == 0


def test_health_reads_the_rq_queue(rq_queue, settings, django_capture_on_commit_callbacks):
    client = Client()
    assert client.get("/healthz").json()["tasks"] == {
        "backend": "rq",
        "waiting": 0,
        "failed": 0,
        "stuck_after_seconds": 600,
        "state": "ok",
    }
    with django_capture_on_commit_callbacks(execute=True):
        notification_enqueue(recipients=["a@customer.test"], subject="S", body="B", kind="t")
    tasks = client.get("/healthz").json()["tasks"]
    assert tasks["waiting"] == 1 and tasks["oldest_waiting_seconds"] >= 0

    settings.TASKS_STUCK_AFTER = -1  # any wait is too long: the queue is stuck
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["tasks"]["state"] == "stuck"

    run_rq_worker(rq_queue)
    assert Notification.objects.get().status == "sent"
    assert client.get("/healthz").status_code == 200
