"""task_enqueue_on_commit: a task waits for the commit, vanishes with a rollback, and a queue
that cannot be reached never fails the change that enqueued it."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from apps.core.tasks import task_enqueue_on_commit
from apps.notifications.tasks import deliver_notifications
from tests.notifications.servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_task_is_enqueued_once_the_transaction_commits(
    database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        task_enqueue_on_commit(deliver_notifications, ids=[1, 2])
        assert not DBTaskResult.objects.exists()
    assert len(callbacks) == 1
    (result,) = DBTaskResult.objects.all()
    assert result.task_path == "apps.notifications.tasks.deliver_notifications"
    assert result.args_kwargs == {"args": [], "kwargs": {"ids": [1, 2]}}


def test_nothing_is_enqueued_when_the_transaction_rolls_back(
    database_queue, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        task_enqueue_on_commit(deliver_notifications, ids=[1])
        raise RuntimeError("the change failed")
    assert not DBTaskResult.objects.exists()


def test_an_unreachable_queue_is_logged_not_raised(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}
    with django_capture_on_commit_callbacks(execute=True):
        task_enqueue_on_commit(deliver_notifications, ids=[1])
    assert "could not enqueue deliver_notifications" in caplog.text
