"""Each list of the API costs an exact number of queries, each named: the same with 2 rows as
with 50. Every call opens with 1 a savepoint (ATOMIC_REQUESTS, inside the test's transaction),
2 the token with its user and organisation, 3 whether its creator still administers the
organisation, and ends by releasing the savepoint. The token's last use was written by a
first call (it is written at most once an hour), so the measured calls write nothing."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.roles import SUPPORT_AGENT
from apps.api.api import api
from apps.breaches.services import breach_controllers_confirm, breach_notify_controllers
from apps.dsar.services import dsar_attachment_add, dsar_reply_add
from apps.trail.services import trail_seal_pending
from tests.api.conftest import ApiClient, make_token
from tests.factories import (
    BreachIncidentFactory,
    ControllerFactory,
    DsarTicketFactory,
    ObjectionFactory,
    StaffFactory,
    SubprocessorChangeFactory,
    SubprocessorFactory,
    TransferFactory,
)


def add_tickets(ctx, n):
    for i in range(n):
        DsarTicketFactory(
            controller=ctx["controller"], submitted_at=timezone.now() - timedelta(minutes=i)
        )


def add_timeline(ctx, n):
    staff = StaffFactory()
    for i in range(n):
        dsar_reply_add(
            ticket=ctx["ticket"], author=staff, body=f"Reply {i}", visible_to_customer=True
        )


def add_attachments(ctx, n):
    for i in range(n):
        dsar_attachment_add(
            ticket=ctx["ticket"],
            uploaded_by=None,
            upload=SimpleUploadedFile(f"file-{i}.txt", b"text"),
            visible_to_customer=True,
        )


def add_incidents(ctx, n):
    staff = StaffFactory()
    for _ in range(n):
        incident = BreachIncidentFactory(owner=staff, affected_controllers=[ctx["controller"]])
        breach_controllers_confirm(incident=incident, by=staff)
        breach_notify_controllers(incident=incident, by=staff)


def add_subprocessors(ctx, n):
    for _ in range(n):
        TransferFactory(subprocessor=SubprocessorFactory())


def add_changes(ctx, n):
    for _ in range(n):
        change = SubprocessorChangeFactory(replaces=SubprocessorFactory(), kind="replace")
        ObjectionFactory(change=change, controller=ctx["controller"])


def add_objections(ctx, n):
    for _ in range(n):
        ObjectionFactory(controller=ctx["controller"])


def add_organisations(ctx, n):
    ControllerFactory.create_batch(n)


def add_history(ctx, n):
    add_tickets(ctx, n)
    trail_seal_pending()


# path (under the organisation) → (add rows, queries, each query named)
LISTS = {
    "requests": (
        add_tickets,
        5,
        "1 savepoint, 2 token, 3 membership, 4 the page of tickets, 5 release",
    ),
    "requests/{reference}/timeline": (
        add_timeline,
        6,
        "1 savepoint, 2 token, 3 membership, 4 the ticket, 5 the page of entries with their "
        "authors, 6 release",
    ),
    "requests/{reference}/attachments": (
        add_attachments,
        6,
        "1 savepoint, 2 token, 3 membership, 4 the ticket, 5 the page of its files, 6 release",
    ),
    "breaches": (
        add_incidents,
        5,
        "1 savepoint, 2 token, 3 membership, 4 the page of incidents with this organisation's "
        "notice time and acknowledgement, 5 release",
    ),
    "subprocessors": (
        add_subprocessors,
        6,
        "1 savepoint, 2 token, 3 membership, 4 the page of subprocessors, 5 their transfers, "
        "6 release",
    ),
    "subprocessor-changes": (
        add_changes,
        6,
        "1 savepoint, 2 token, 3 membership, 4 the page of changes with their subprocessors, "
        "5 this organisation's objections to them, 6 release",
    ),
    "objections": (
        add_objections,
        5,
        "1 savepoint, 2 token, 3 membership, 4 the page of objections, 5 release",
    ),
}


def test_every_list_names_each_of_its_queries():
    for name, (_, n, reasons) in LISTS.items():
        numbers = [int(x) for x in re.findall(r"(?:^|, )(\d+) ", reasons)]
        assert numbers == list(range(1, n + 1)), f"{name}: name each of the {n} queries"


def test_every_list_operation_is_measured():
    lists = {
        path.split("{organisation_id}/", 1)[1]
        for path, operations in api.get_openapi_schema()["paths"].items()
        if "get" in operations
        and "{organisation_id}/" in path
        and "Page" in str(operations["get"]["responses"].get(200))
    }
    # The history is measured below; the others here.
    assert lists - {"history"} == set(LISTS), "add the new list to LISTS"


@pytest.mark.parametrize("path", LISTS)
def test_list_queries_are_exact_with_2_rows_and_with_50(
    path, api_a, controller_a, django_assert_num_queries
):
    ticket = DsarTicketFactory(controller=controller_a)
    ctx = {"controller": controller_a, "ticket": ticket}
    url = f"/api/v1/organisations/{controller_a.pk}/" + path.replace(
        "{reference}", ticket.reference
    )
    add, expected, _ = LISTS[path]
    assert api_a.get(url).status_code == 200  # the token's last use is written here
    add(ctx, 2)
    with django_assert_num_queries(expected):
        assert len(api_a.get(url).json()["items"]) >= 2
    add(ctx, 48)
    with django_assert_num_queries(expected):
        assert len(api_a.get(url).json()["items"]) == 50


def test_the_history_costs_the_same_with_2_and_50_changes(api_a, controller_a):
    url = f"/api/v1/organisations/{controller_a.pk}/history"
    ctx = {"controller": controller_a}
    api_a.get(url)
    add_history(ctx, 2)
    with CaptureQueriesContext(connection) as two:
        api_a.get(url)
    add_history(ctx, 48)
    with CaptureQueriesContext(connection) as fifty:
        assert len(api_a.get(url).json()["items"]) == 50
    # The trail's page and the changes of its entries cost queries per history model on the
    # page, never per entry (apps.trail.selectors.trail_changes): 50 tickets' entries (one
    # model) cost no more than 2 beside the organisation's own entry (two models).
    assert len(fifty) <= len(two)


def test_the_organisation_list_of_a_staff_token_costs_the_same_with_2_and_50(
    django_assert_num_queries, db
):
    client = ApiClient(make_token(by=StaffFactory(role=SUPPORT_AGENT)).secret)
    client.get("/api/v1/organisations")
    add_organisations({}, 2)
    # 1 savepoint, 2 token, 3 the member's own permissions, 4 its roles' permissions, 5 the
    # page of organisations, 6 release
    with django_assert_num_queries(6):
        client.get("/api/v1/organisations")
    add_organisations({}, 48)
    with django_assert_num_queries(6):
        assert len(client.get("/api/v1/organisations").json()["items"]) == 50
