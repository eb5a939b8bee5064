"""Every changelist costs the same number of queries with 2 rows as with 50."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.models import SecurityEvent, User
from apps.audit.models import AuditAccessLog, AuditGrant, TrailEntry, TrailScrub
from apps.breaches.models import BreachIncident
from apps.controllers.models import Controller, Membership
from apps.core.models import ReferenceCounter
from apps.data_categories.models import DataCategory, DataSubjectCategory
from apps.dsar.models import DsarTicket
from apps.notifications.models import Notification
from apps.offboarding.models import DataExport, DeletionRequest
from apps.processors.models import ProcessingActivity, Processor, SecurityMeasure
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange, Transfer
from tests import factories

FACTORIES = {
    ReferenceCounter: factories.ReferenceCounterFactory,
    User: factories.UserFactory,
    Controller: factories.ControllerFactory,
    Membership: factories.MembershipFactory,
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
}

PROJECT_ADMINS = [
    model for model in admin.site._registry if model._meta.app_config.name.startswith("apps.")
]


def test_every_project_admin_has_a_factory_here():
    missing = [m._meta.label for m in PROJECT_ADMINS if m not in FACTORIES]
    assert not missing, f"add these to FACTORIES so their changelists are measured: {missing}"


def changelist_queries(client, model) -> int:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", PROJECT_ADMINS, ids=lambda m: m._meta.label)
def test_changelist_queries_do_not_grow_with_rows(
    model, client, django_user_model, django_assert_max_num_queries
):
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    client.force_login(superuser)
    factory = FACTORIES[model]
    factory.create_batch(2)
    with_two = changelist_queries(client, model)
    factory.create_batch(48)
    assert model.objects.count() >= 50
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with django_assert_max_num_queries(with_two):
        response = client.get(url)
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
