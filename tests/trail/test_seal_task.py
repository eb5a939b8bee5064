"""A committed change leaves its marks and asks the worker, once, to chain them: no request takes
the chain's lock or waits for another's seal."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps.data_categories.models import DataSubjectCategory
from apps.trail.models import TrailEntry, TrailMark
from apps.trail.tasks import seal_trail
from tests.factories import ControllerFactory
from tests.trail.test_attacks import verify_ok

pytestmark = pytest.mark.django_db

SEAL = "apps.trail.tasks.seal_trail"


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root@example.test", "pw-long"))
    return client


@pytest.fixture
def database_queue(settings):
    """The queue production uses: enqueued tasks wait for the worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_change_leaves_its_marks_and_one_task_that_chains_them(
    database_queue, django_capture_on_commit_callbacks
):
    entries = TrailEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ControllerFactory.create_batch(3)
    marks = TrailMark.objects.count()
    assert marks >= 3
    assert TrailEntry.objects.count() == entries  # nothing chained by the change itself
    (waiting,) = DBTaskResult.objects.filter(task_path=SEAL)  # one task for the transaction

    assert seal_trail.call(**waiting.args_kwargs["kwargs"]) == marks  # what the worker runs
    assert not TrailMark.objects.exists()
    assert TrailEntry.objects.count() == entries + marks
    verify_ok()


@pytest.mark.django_db(transaction=True)
def test_a_saved_admin_form_neither_takes_nor_waits_for_the_chains_lock(
    database_queue, superuser_client
):
    url = reverse("admin:data_categories_datasubjectcategory_add")
    tasks = DBTaskResult.objects.filter(task_path=SEAL).count()
    entries = TrailEntry.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.post(url, {"name": "Newsletter readers", "description": ""})
    assert response.status_code == 302
    assert DataSubjectCategory.objects.filter(name="Newsletter readers").exists()
    assert not [q["sql"] for q in queries if "pg_advisory" in q["sql"]]
    assert DBTaskResult.objects.filter(task_path=SEAL).count() == tasks + 1
    assert TrailMark.objects.filter(object_repr="Newsletter readers").exists()
    assert TrailEntry.objects.count() == entries
