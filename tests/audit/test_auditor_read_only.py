"""An internal auditor reads everything in the admin and can write nothing, through any page."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse

from tests.core.test_admin_queries import FACTORIES

REGISTERED = list(admin.site._registry)


def url(model, name, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


def snapshot(obj):
    obj.refresh_from_db()
    return model_to_dict(obj)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_auditor_gets_403_on_every_add_page(model, client, staff_auditor):
    client.force_login(staff_auditor)
    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "add"), {}).status_code == 403


@pytest.mark.parametrize(
    "model", [m for m in REGISTERED if m in FACTORIES], ids=lambda m: m._meta.label
)
def test_auditor_cannot_change_or_delete_any_object(model, client, staff_auditor):
    obj = FACTORIES[model]()
    before = snapshot(obj)
    client.force_login(staff_auditor)
    # Reading is allowed: the change page answers, without a save button.
    page = client.get(url(model, "change", obj.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(url(model, "change", obj.pk), {"_save": "Save"}).status_code == 403
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert snapshot(obj) == before


@pytest.mark.parametrize(
    "model", [m for m in REGISTERED if m in FACTORIES], ids=lambda m: m._meta.label
)
def test_auditor_cannot_run_any_changelist_action(model, client, staff_auditor, django_user_model):
    obj = FACTORIES[model]()
    before = snapshot(obj)
    # Every action the admin offers anyone, tried by the auditor.
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    request = RequestFactory().get("/")
    request.user = superuser
    actions = list(admin.site._registry[model].get_actions(request))
    client.force_login(staff_auditor)
    request.user = staff_auditor
    # The auditor is offered none of them ...
    assert not admin.site._registry[model].get_actions(request)
    # ... and posting one anyway writes nothing.
    for action in actions:
        response = client.post(
            url(model, "changelist"),
            {"action": action, ACTION_CHECKBOX_NAME: [obj.pk], "post": "yes"},
        )
        assert response.status_code in (200, 302, 403), action
        assert model._default_manager.filter(pk=obj.pk).exists(), action
        assert snapshot(obj) == before, action
