"""Every big list reads through an index for its filter and its ordering (PostgreSQL).

Sequential scans are switched off for the transaction, so the planner picks a plan without
one if any index can serve the query; a "Seq Scan" on the list's table left in the plan means
no index can, and the page would read the whole table once it holds 100,000 rows.
"""

import pytest
from django.db import connection
from django.utils import timezone

from apps.breaches.models import BreachIncident
from apps.controllers.models import Membership
from apps.dsar.models import DsarTicket, DsarTimelineEntry
from apps.notifications.models import Notification
from apps.trail.models import TrailEntry

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's"),
]

PAGE = 50


def big_lists():
    now = timezone.now()
    queue = DsarTicket.objects.order_by("due_at", "reference")
    outbox = Notification.objects.order_by("-created_at", "-id")
    return {
        "dsar queue": queue,
        "dsar queue by status": queue.filter(status="in_progress"),
        "dsar queue, open": DsarTicket.objects.open().order_by("due_at", "reference"),
        "dsar queue, overdue": DsarTicket.objects.overdue(now).order_by("due_at", "reference"),
        "dsar queue by type": queue.filter(request_type="erasure"),
        "dsar queue by assignee": queue.filter(assignee_id=1),
        "dsar queue of one controller": queue.filter(controller_id=1),
        "dsar search by reference": queue.filter(reference__icontains="S00042"),
        "dsar search by subject": queue.filter(data_subject_identifier="app-user-1"),
        "portal: one controller's requests, newest first": DsarTicket.objects.for_controller(
            1
        ).order_by("-submitted_at"),
        "dsar timeline of one ticket": DsarTimelineEntry.objects.filter(ticket_id=1),
        "incidents": BreachIncident.objects.order_by("-became_aware_at", "-id"),
        "incidents by status": BreachIncident.objects.filter(status="open").order_by(
            "became_aware_at"
        ),
        "outbox": outbox,
        "outbox by status": outbox.filter(status="pending"),
        "outbox by kind": outbox.filter(kind="dsar.reply"),
        "outbox search": outbox.filter(recipient__icontains="customer00042"),
        "outbox due to send (the senders' claim)": Notification.objects.due(now).order_by(
            "next_attempt_at", "id"
        ),
        "trail": TrailEntry.objects.newest_first(),
        "trail of one controller": TrailEntry.objects.for_controller(1).newest_first(),
        "trail of one object": TrailEntry.objects.filter(
            object_model="dsar.dsarticket", object_id="1"
        ).newest_first(),
        "trail of one user": TrailEntry.objects.filter(user_id=1).newest_first(),
        "history of one ticket": DsarTicket.history.filter(id=1).order_by("-history_date"),
        "portal: members of one controller": Membership.objects.filter(controller_id=1),
    }


@pytest.fixture
def no_seq_scans():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


@pytest.mark.parametrize("name", list(big_lists()))
def test_big_list_reads_through_an_index(name, no_seq_scans):
    queryset = big_lists()[name]
    table = queryset.model._meta.db_table
    plan = queryset[:PAGE].explain()
    assert f"Seq Scan on {table}" not in plan, plan
    assert "Index" in plan, plan
