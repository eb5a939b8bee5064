"""The admin kit in apps/core/admin.py, and the registrations that must use it.

One read-only mixin, one helper for actions that run a service per selected row, and every
action declared with @admin.action and its permissions.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from apps.core.admin import ReadOnlyAdminMixin, run_per_row
from apps.data_categories.models import DataCategory
from apps.dsar.models import DsarTicket
from apps.processors.models import ProcessingActivity
from apps.subprocessors.models import Objection
from tests.core.test_admin_queries import FACTORIES
from tests.factories import (
    ControllerFactory,
    DataCategoryFactory,
    ProcessingActivityFactory,
    SubprocessorChangeFactory,
)

pytestmark = pytest.mark.django_db

PERMISSIONS = ("has_add_permission", "has_change_permission", "has_delete_permission")
ADMIN_MODULES = sorted(Path(settings.BASE_DIR, "apps").glob("*/admin.py"))
# The admins of our models: the libraries' own (axes, django-otp, auth's groups) are registered
# again by apps.accounts with the project's lookup rule, but stay theirs.
OUR_ADMINS = {
    model: model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_config.name.startswith("apps.")
}
READ_ONLY_MODELS = [m for m, a in OUR_ADMINS.items() if isinstance(a, ReadOnlyAdminMixin)]


def url(model, name: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


def request_by(user) -> HttpRequest:
    request = RequestFactory().post("/")
    request.user = user
    request._messages = CookieStorage(request)  # what message_user writes to
    return request


# --- run_per_row -------------------------------------------------------------------------


def rename_unless_refused(category: DataCategory) -> None:
    """A service that writes first and refuses afterwards: the refusal must undo the write."""
    category.description = "renamed"
    category.save()
    if category.name.startswith("Refused"):
        raise ValidationError(["Not this one.", "Nor now."])


def test_run_per_row_reports_the_successes_once_and_each_refusal_on_its_own_line(superuser):
    for name in ("Kept A", "Kept B", "Kept C", "Refused X", "Refused Y"):
        DataCategoryFactory(name=name, description="")
    request = request_by(superuser)
    count = run_per_row(
        admin.site._registry[DataCategory],
        request,
        DataCategory.objects.order_by("name"),
        rename_unless_refused,
        done="Renamed {count} categor{y}.",  # only {count} is read: other braces stay as written
    )
    assert count == 3
    shown = [(m.level, m.message) for m in request._messages]
    assert shown == [
        (messages.ERROR, "Refused X: Not this one. Nor now."),
        (messages.ERROR, "Refused Y: Not this one. Nor now."),
        (messages.SUCCESS, "Renamed 3 categor{y}."),
    ]


def test_run_per_row_writes_nothing_for_a_refused_row(superuser):
    kept = DataCategoryFactory(name="Kept", description="")
    refused = DataCategoryFactory(name="Refused", description="")
    history_before = refused.history.count()
    run_per_row(
        admin.site._registry[DataCategory],
        request_by(superuser),
        DataCategory.objects.all(),
        rename_unless_refused,
        done="Renamed {count}.",
    )
    kept.refresh_from_db()
    refused.refresh_from_db()
    assert kept.description == "renamed"
    assert refused.description == ""
    assert refused.history.count() == history_before


def test_run_per_row_shows_no_success_when_every_row_was_refused(superuser):
    DataCategoryFactory(name="Refused")
    request = request_by(superuser)
    count = run_per_row(
        admin.site._registry[DataCategory],
        request,
        DataCategory.objects.all(),
        rename_unless_refused,
        done="Renamed {count}.",
    )
    assert count == 0
    assert [m.level for m in request._messages] == [messages.ERROR]


def test_an_action_with_a_refused_row_answers_with_messages_not_a_500(officer_client):
    ready = [ProcessingActivityFactory(status="in_review") for _ in range(2)]
    draft = ProcessingActivityFactory(status="draft", name="Routing")
    response = officer_client.post(
        url(ProcessingActivity, "changelist"),
        {"action": "mark_approved", "_selected_action": [a.pk for a in [*ready, draft]]},
    )
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown[-1] == "Approve: 2 activity(ies)."
    assert shown[:-1] == ["Routing: “Routing” cannot go from draft to approved."]
    assert set(ProcessingActivity.objects.values_list("status", flat=True)) == {
        "approved",
        "draft",
    }


# --- ReadOnlyAdminMixin ------------------------------------------------------------------


def test_the_read_only_admins_are_the_application_written_tables():
    labels = {m._meta.label for m in READ_ONLY_MODELS}
    assert labels == {
        "accounts.SecurityEvent",
        "audit.AuditAccessLog",
        "core.ReferenceCounter",
        # Written by the portal (customer admins register them), only read in the admin.
        "integrations.WebhookEndpoint",
        "jobs.Job",
        "retention.RetentionRun",
        "trail.TrailEntry",
        "trail.TrailScrub",
    }


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda m: m._meta.label)
def test_a_superuser_gets_403_on_the_add_page_of_a_read_only_admin(model, superuser_client):
    assert superuser_client.get(url(model, "add")).status_code == 403
    assert superuser_client.post(url(model, "add"), {}).status_code == 403


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda m: m._meta.label)
def test_a_superuser_can_neither_change_nor_delete_in_a_read_only_admin(
    model, superuser_client, superuser
):
    obj = FACTORIES[model]()
    assert superuser_client.post(url(model, "change", obj.pk), {"_save": "Save"}).status_code == 403
    assert superuser_client.get(url(model, "delete", obj.pk)).status_code == 403
    assert superuser_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()
    assert admin.site._registry[model].get_actions(request_by(superuser)) == {}


def test_read_only_inlines_refuse_add_change_and_delete_to_a_superuser(superuser):
    request = request_by(superuser)
    inlines = [
        inline(model_admin.model, admin.site)
        for model_admin in OUR_ADMINS.values()
        for inline in model_admin.inlines
        if issubclass(inline, ReadOnlyAdminMixin)
    ]
    assert {type(i).__name__ for i in inlines} == {
        "BreachNotificationInline",
        "DsarTimelineInline",
        "DsarPauseInline",
        "DsarAttachmentInline",
    }
    for inline in inlines:
        assert not any(getattr(inline, name)(request, None) for name in PERMISSIONS), inline
        assert not inline.get_formset(request, None).can_delete, inline


# --- every registration ------------------------------------------------------------------


def our_classes(model_admin):
    """The admin's class and its inlines, with every base class written in this project."""
    for cls in (type(model_admin), *model_admin.inlines):
        for base in cls.__mro__:
            if base.__module__.startswith("apps."):
                yield base


def test_no_admin_class_of_ours_refuses_all_three_outside_the_mixin():
    found = {
        f"{base.__module__}.{base.__qualname__}"
        for model_admin in OUR_ADMINS.values()
        for base in our_classes(model_admin)
        if base is not ReadOnlyAdminMixin and set(PERMISSIONS) <= set(vars(base))
    }
    assert not found, f"use ReadOnlyAdminMixin in: {sorted(found)}"


def test_an_admin_that_refuses_everything_to_a_superuser_does_it_through_the_mixin(superuser):
    request = request_by(superuser)
    for model, model_admin in OUR_ADMINS.items():
        refused = [
            not model_admin.has_add_permission(request),
            not model_admin.has_change_permission(request, None),
            not model_admin.has_delete_permission(request, None),
        ]
        if all(refused):
            owners = {getattr(model_admin, name).__qualname__ for name in PERMISSIONS}
            assert owners == {f"ReadOnlyAdminMixin.{name}" for name in PERMISSIONS}, model


def test_every_action_declares_the_permissions_it_needs():
    # Ours only: django-axes registers its own admin (its cleanup action declares none).
    undeclared = [
        f"{model._meta.label}: {name}"
        for model, model_admin in OUR_ADMINS.items()
        for func, name, _ in model_admin._get_base_actions()
        if func is not delete_selected
        and not (getattr(func, "allowed_permissions", None) and hasattr(func, "short_description"))
    ]
    assert not undeclared, (
        f"declare with @admin.action(description=..., permissions=[...]): {undeclared}"
    )


@pytest.mark.parametrize("path", ADMIN_MODULES, ids=lambda p: p.parent.name)
def test_admin_modules_use_the_kit_rather_than_patching_objects(path):
    source = path.read_text()
    for patch in ("__dict__", "short_description", "._change_reason", "._history_user"):
        assert patch not in source, f"{path.parent.name}/admin.py: {patch}"


@pytest.mark.parametrize("path", ADMIN_MODULES, ids=lambda p: p.parent.name)
def test_admin_modules_call_only_their_own_app_and_core(path):
    """Other apps' models may be read for querysets; their services and selectors are theirs."""
    app = path.parent.name
    imported = [
        node.module
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("apps.")
    ] + [
        alias.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("apps.")
    ]
    foreign = [
        module
        for module in imported
        if module.split(".")[1] not in (app, "core") and not module.endswith(".models")
    ]
    assert not foreign, f"{app}/admin.py imports {foreign}"


# --- add pages whose row a service creates -----------------------------------------------


def test_the_dsar_add_page_leads_to_the_ticket_the_service_made(client, support_agent):
    client.force_login(support_agent)
    controller = ControllerFactory()
    inlines = {
        f"{prefix}-{key}": value
        for prefix in ("propagations", "timeline", "pauses", "attachments")
        for key, value in (
            ("TOTAL_FORMS", "0"),
            ("INITIAL_FORMS", "0"),
            ("MIN_NUM_FORMS", "0"),
            ("MAX_NUM_FORMS", "1000"),
        )
    }
    response = client.post(
        url(DsarTicket, "add"),
        {
            "controller": controller.pk,
            "request_type": "erasure",
            "data_subject_identifier": "user-9",
            "received_at_0": (timezone.now() - timezone.timedelta(days=1)).strftime("%Y-%m-%d"),
            "received_at_1": "10:00:00",
            **inlines,
        },
        follow=True,
    )
    ticket = DsarTicket.objects.get()
    assert response.redirect_chain[-1][0] == url(DsarTicket, "changelist")
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    link = f'<a href="{url(DsarTicket, "change", ticket.pk)}">{ticket.reference}</a>'
    assert shown == [f"The DSAR ticket “{link}” was added successfully."]
    log = LogEntry.objects.get()
    assert (log.object_id, log.object_repr) == (str(ticket.pk), ticket.reference)


def test_the_objection_add_page_records_the_objection_the_service_raised(officer_client):
    change = SubprocessorChangeFactory()
    controller = ControllerFactory()
    response = officer_client.post(
        url(Objection, "add"),
        {"controller": controller.pk, "change": change.pk, "reason": "Not in that country."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    objection = Objection.objects.get()
    assert objection.history.latest().history_change_reason == "subprocessors.objection.raised"
    log = LogEntry.objects.get()
    assert log.object_id == str(objection.pk)
