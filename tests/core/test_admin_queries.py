"""Every changelist costs an exact number of queries, each named: the same with 2 rows as 50."""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.models import SecurityEvent, User
from apps.audit.models import AuditAccessLog, AuditGrant
from apps.breaches.models import BreachIncident
from apps.controllers.models import Controller, Membership, NonWorkingDay
from apps.core.admin import EstimatedCountPaginator
from apps.core.models import ReferenceCounter
from apps.data_categories.models import DataCategory, DataSubjectCategory
from apps.dsar.models import DsarTicket
from apps.integrations.models import ApiToken, WebhookEndpoint
from apps.jobs.models import Job
from apps.notifications.models import Notification
from apps.offboarding.models import DataExport, DeletionRequest
from apps.processors.models import ProcessingActivity, Processor, SecurityMeasure
from apps.retention.models import RetentionRun
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange, Transfer
from apps.trail.models import TrailEntry, TrailScrub
from tests import factories

FACTORIES = {
    ReferenceCounter: factories.ReferenceCounterFactory,
    ApiToken: factories.ApiTokenFactory,
    WebhookEndpoint: factories.WebhookEndpointFactory,
    User: factories.UserFactory,
    Controller: factories.ControllerFactory,
    Membership: factories.MembershipFactory,
    NonWorkingDay: factories.NonWorkingDayFactory,
    DataCategory: factories.DataCategoryFactory,
    DataSubjectCategory: factories.DataSubjectCategoryFactory,
    Processor: factories.ProcessorFactory,
    SecurityMeasure: factories.SecurityMeasureFactory,
    ProcessingActivity: factories.ProcessingActivityFactory,
    Subprocessor: factories.SubprocessorFactory,
    Transfer: factories.TransferFactory,
    SubprocessorChange: factories.SubprocessorChangeFactory,
    Objection: factories.ObjectionFactory,
    Notification: factories.NotificationFactory,
    SecurityEvent: factories.SecurityEventFactory,
    DsarTicket: factories.DsarTicketFactory,
    BreachIncident: factories.BreachIncidentFactory,
    TrailEntry: factories.TrailEntryFactory,
    TrailScrub: factories.TrailScrubFactory,
    DataExport: factories.DataExportFactory,
    DeletionRequest: factories.DeletionRequestFactory,
    AuditGrant: factories.AuditGrantFactory,
    AuditAccessLog: factories.AuditAccessLogFactory,
    Job: factories.JobFactory,
    RetentionRun: factories.RetentionRunFactory,
}

PROJECT_ADMINS = [
    model for model in admin.site._registry if model._meta.app_config.name.startswith("apps.")
]

# The exact queries of each changelist, the same with 2 rows as with 50. Every page opens with
# 1 the session and 2 the user, read with its permissions and the ids of its confirmed second-
# factor devices (apps.accounts.backends), against which the session's device is checked with no
# query of its own; a list that is only read runs outside any transaction (RegisterAdmin keeps
# one for what is submitted). The session is not saved: the page comes within
# SESSION_REFRESH_SECONDS of the last save (tests/accounts/test_fixed_cost.py). RegisterAdmin's paginator first asks
# PostgreSQL's planner for a row estimate (EXPLAIN, reads no rows) and counts exactly below
# 10,000 rows; SQLite skips the EXPLAIN (expected_queries below). Sidebar filters on a choice
# field or a date cost nothing.
EXPECTED = {
    ReferenceCounter: (
        6,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the counters, 6 the prefix filter's distinct prefixes",
    ),
    User: (
        6,
        "1 session, 2 user with its permissions and second-factor devices, 3 the groups filter's "
        "groups, 4 EXPLAIN estimate, 5 count, 6 the users",
    ),
    Controller: (
        7,
        "1 session, 2 user with its permissions and second-factor devices, 3 the countries in use"
        " (the country filter), 4 EXPLAIN estimate, 5 count, 6 the controllers, 7 the DPA version"
        " filter's distinct versions",
    ),
    NonWorkingDay: (
        6,
        "1 session, 2 user with its permissions and second-factor devices, 3 the countries in use"
        " (the country filter), 4 EXPLAIN estimate, 5 count, 6 the days",
    ),
    Membership: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the memberships with their users and controllers",
    ),
    DataCategory: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the categories",
    ),
    DataSubjectCategory: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the categories",
    ),
    Processor: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the processors",
    ),
    SecurityMeasure: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the measures with their owners",
    ),
    ProcessingActivity: (
        6,
        "1 session, 2 user with its permissions and second-factor devices, 3 the subprocessors "
        "filter's subprocessors, 4 EXPLAIN estimate, 5 count, 6 the activities with their "
        "processors",
    ),
    Subprocessor: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the subprocessors",
    ),
    Transfer: (
        6,
        "1 session, 2 user with its permissions and second-factor devices, 3 the destination "
        "countries in use (the country filter), 4 EXPLAIN estimate, 5 count, 6 the transfers with"
        " their subprocessors",
    ),
    SubprocessorChange: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the changes with their subprocessors (and the one replaced)",
    ),
    Objection: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the objections with their controllers, changes and subprocessors",
    ),
    Notification: (
        6,
        "1 session, 2 user with its permissions and second-factor devices, 3 the kind filter's "
        "kinds (a recursive skip scan of the index, not a scan of the table), 4 EXPLAIN estimate,"
        " 5 count, 6 the notifications",
    ),
    SecurityEvent: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the events with their users",
    ),
    DsarTicket: (
        7,
        "1 session, 2 user with its permissions and second-factor devices, 3 the assignee "
        "filter's staff, 4 EXPLAIN estimate, 5 count, 6 the tickets with their controllers and "
        "assignees, 7 the assign action's staff choices",
    ),
    BreachIncident: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the incidents with their owners, who confirmed the controllers, and their "
        "clocks and notice counts (subqueries)",
    ),
    TrailEntry: (
        4,
        "1 session, 2 user with its permissions and second-factor devices, 3 the page of entries "
        "(no count: a keyset page) with their controllers and each one's previous history row id,"
        " 4 the controllers' history rows, new and previous",
    ),
    TrailScrub: (
        4,
        "1 session, 2 user with its permissions and second-factor devices, 3 count, 4 the scrubs "
        "with their entries and who scrubbed",
    ),
    DataExport: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the exports with their controllers and who asked",
    ),
    DeletionRequest: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the requests with their controllers and who asked",
    ),
    AuditGrant: (
        6,
        "1 session, 2 user with its permissions and second-factor devices, 3 the controller "
        "filter's controllers (those with a grant), 4 EXPLAIN estimate, 5 count, 6 the grants "
        "with their auditors and controllers",
    ),
    RetentionRun: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the runs with who started them",
    ),
    AuditAccessLog: (
        4,
        "1 session, 2 user with its permissions and second-factor devices, 3 count, 4 the lines "
        "with their grants, auditors and controllers",
    ),
    ApiToken: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the tokens with their users and organisations",
    ),
    WebhookEndpoint: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the endpoints with their organisations",
    ),
    Job: (
        5,
        "1 session, 2 user with its permissions and second-factor devices, 3 EXPLAIN estimate, 4 "
        "count, 5 the jobs with who started them",
    ),
}

# The trail costs one query per history model on its page. The superuser's own creation is on
# it with 2 controllers but pushed off by 50: the page is narrowed to the factory's model.
CHANGELIST_PARAMS = {
    TrailEntry: {"model": "controllers.controller"},
    # The jobs list shows one's own by default: everyone's, to list the 50.
    Job: {"whose": "everyone"},
}


def test_every_project_admin_has_a_factory_here():
    missing = [m._meta.label for m in PROJECT_ADMINS if m not in FACTORIES]
    assert not missing, f"add these to FACTORIES so their changelists are measured: {missing}"


def test_every_project_admin_has_its_expected_queries_here():
    missing = [m._meta.label for m in PROJECT_ADMINS if m not in EXPECTED]
    assert not missing, f"add these to EXPECTED, each query named: {missing}"
    for model, (n, reasons) in EXPECTED.items():
        numbers = [int(x) for x in re.findall(r"(?:^|, )(\d+) ", reasons)]
        assert numbers == list(range(1, n + 1)), f"{model._meta.label}: name each of the {n}"


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def expected_queries(model) -> int:
    """EXPECTED counts PostgreSQL's queries; on SQLite the paginator asks for no estimate."""
    n, _ = EXPECTED[model]
    estimated = issubclass(admin.site._registry[model].paginator, EstimatedCountPaginator)
    return n - 1 if estimated and connection.vendor != "postgresql" else n


@pytest.mark.parametrize("model", PROJECT_ADMINS, ids=lambda m: m._meta.label)
def test_changelist_queries_are_exact_with_2_rows_and_with_50(
    model, client, django_user_model, django_assert_num_queries
):
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    client.force_login(superuser)
    factory = FACTORIES[model]
    url, params = changelist_url(model), CHANGELIST_PARAMS.get(model, {})
    expected = expected_queries(model)  # EXPECTED[model] names each query
    factory.create_batch(2)
    client.get(url, params)  # warm the per-process caches (content types, site)
    with django_assert_num_queries(expected):
        response = client.get(url, params)
    assert response.status_code == 200
    factory.create_batch(48)
    assert model.objects.count() >= 50
    with django_assert_num_queries(expected):
        response = client.get(url, params)
    assert response.status_code == 200


@pytest.mark.parametrize("model", PROJECT_ADMINS, ids=lambda m: m._meta.label)
def test_change_and_history_pages_answer(model, client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    client.force_login(superuser)
    obj = FACTORIES[model]()
    info = model._meta.app_label, model._meta.model_name
    for name in ("change", "history"):
        response = client.get(reverse(f"admin:{info[0]}_{info[1]}_{name}", args=[obj.pk]))
        assert response.status_code == 200, name
    add = client.get(reverse(f"admin:{info[0]}_{info[1]}_add")).status_code
    # Some records only come from the product's own events (the outbox): no add page at all.
    request = RequestFactory().get("/")
    request.user = superuser
    assert add == (200 if admin.site._registry[model].has_add_permission(request) else 403)


def page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def add_history_rows(obj, n: int) -> None:
    for i in range(n):
        obj._change_reason = f"test.touch.{i}"
        obj.save()


def add_timeline(obj, n: int) -> None:
    for _ in range(n):
        factories.DsarTimelineEntryFactory(ticket=obj)


def add_notices(obj, n: int) -> None:
    for _ in range(n):
        factories.BreachNotificationFactory(incident=obj)


# Rows that a change page lists inline, beyond the object's own history.
INLINE_ROWS = {DsarTicket: add_timeline, BreachIncident: add_notices}


@pytest.mark.parametrize("model", PROJECT_ADMINS, ids=lambda m: m._meta.label)
def test_change_and_history_pages_do_not_grow_with_history_rows(model, client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    client.force_login(superuser)
    obj = FACTORIES[model]()
    info = model._meta.app_label, model._meta.model_name
    urls = [
        reverse(f"admin:{info[0]}_{info[1]}_{name}", args=[obj.pk])
        for name in ("change", "history")
    ]
    tracked = hasattr(model, "history")
    grow = INLINE_ROWS.get(model)
    if tracked:
        add_history_rows(obj, 1)  # two history rows: created, changed once
    if grow:
        grow(obj, 2)
    for url in urls:  # warm the per-process caches (content types, site) before counting
        client.get(url)
    with_two = [page_queries(client, url) for url in urls]
    if tracked:
        add_history_rows(obj, 48)
        assert obj.history.count() >= 50
    if grow:
        grow(obj, 48)
    with_fifty = [page_queries(client, url) for url in urls]
    assert with_fifty == with_two, f"change, history: {with_two} -> {with_fifty}"
