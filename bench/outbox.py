"""The outbox's two figures in the README (not part of the test suite):

- how long the page that announces a subprocessor change takes when it notifies 2,000
  addresses (1,000 active controllers, each e-mailed at its contact and its DPO address), how
  long the notices take to be queued, and how long one `notification_enqueue` call takes to
  record 2,000 messages;
- how many messages per second one worker (`db_worker`, running the delivery tasks that page
  enqueued) sends to a local SMTP server (aiosmtpd, in a thread of this process).

Run on PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ropa .venv/bin/pytest bench/outbox.py -s
"""

import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.notifications.models import Notification
from apps.notifications.services import notification_enqueue
from apps.subprocessors.models import Subprocessor
from tests.conftest import SecondFactorClient
from tests.factories import ControllerFactory, SubprocessorFactory
from tests.notifications.servers import smtp_server, use_smtp
from tests.notifications.workers import run_db_worker

CONTROLLERS = 1000


@pytest.mark.django_db(transaction=True)
def test_measure_the_outbox(settings, django_user_model):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ControllerFactory.create_batch(CONTROLLERS)
    subprocessor = SubprocessorFactory(status=Subprocessor.Status.PROPOSED, engaged_on=None)
    client = SecondFactorClient()
    # A superuser: the transactional database starts without the role groups' migration data.
    client.force_login(django_user_model.objects.create_superuser("bench@calljmp.test", "x" * 16))
    url = reverse("admin:subprocessors_subprocessorchange_add")
    client.get(url)
    effective_at = timezone.now() + timedelta(days=45)
    form = {
        "kind": "add",
        "subprocessor": subprocessor.pk,
        "replaces": "",
        "description": "We add a CDN.",
        "effective_at_0": effective_at.strftime("%Y-%m-%d"),
        "effective_at_1": effective_at.strftime("%H:%M:%S"),
        "objections-TOTAL_FORMS": "0",
        "objections-INITIAL_FORMS": "0",
        "objections-MIN_NUM_FORMS": "0",
        "objections-MAX_NUM_FORMS": "1000",
    }

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(url, form)  # commits, then enqueues its task(s)
        page = time.perf_counter() - started
    assert response.status_code == 302
    notices = Notification.objects.filter(kind="subprocessors.change_announced")
    print(
        f"\npage: answered in {page:.2f} s ({len(queries)} queries); {notices.count()} notices "
        f"queued by the page itself, {DBTaskResult.objects.count()} task(s) enqueued"
    )

    with smtp_server() as (port, inbox):
        use_smtp(settings, port, timeout=10)
        started = time.perf_counter()
        run_db_worker()  # one worker: the tasks the page enqueued, then the ones they enqueued
        worker = time.perf_counter() - started
    assert notices.count() == 2 * CONTROLLERS
    assert len(inbox.received) == 2 * CONTROLLERS
    assert not notices.exclude(status="sent").exists()

    # The same 2,000 notices written by one call, as a page that queued them itself would:
    # the rows, their history and trail marks, and (after the commit) their 20 delivery tasks.
    recipients = [f"bench{n}@customer.test" for n in range(2 * CONTROLLERS)]
    started = time.perf_counter()
    with transaction.atomic():
        notification_enqueue(recipients=recipients, subject="Bench", body="Body", kind="bench")
    direct = time.perf_counter() - started
    print(f"notification_enqueue: {len(recipients)} messages recorded in {direct:.2f} s")

    def seconds(results) -> float:
        return sum((r.finished_at - r.started_at).total_seconds() for r in results)

    results = list(DBTaskResult.objects.filter(status="SUCCESSFUL"))
    delivering = [r for r in results if r.task_path.endswith(".deliver_notifications")]
    queueing = [r for r in results if r not in delivering]
    print(
        f"worker: {worker:.2f} s in all; {len(queueing)} task(s) queued the "
        f"{notices.count()} notices in {seconds(queueing):.2f} s; {len(delivering)} delivery "
        f"tasks sent {len(inbox.received)} messages to aiosmtpd in {seconds(delivering):.2f} s, "
        f"{len(inbox.received) / seconds(delivering):.0f} messages per second"
    )
