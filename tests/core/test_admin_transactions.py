"""Admin pages that only read take no transaction; whatever is sent to them runs in one, so a
failure halfway leaves nothing written."""

import pytest
from django.contrib import admin
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve, reverse

from apps.core.admin import _atomic_unless_reading
from apps.data_categories.models import DataCategory
from tests.factories import DataCategoryFactory

PROJECT_ADMINS = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_config.name.startswith("apps.")
]


def atomic_for_requests(url: str) -> bool:
    """Whether Django's handler would wrap this URL's view in the request's transaction."""
    return "default" not in getattr(resolve(url).func, "_non_atomic_requests", set())


@pytest.mark.parametrize(
    "model, model_admin", PROJECT_ADMINS, ids=lambda x: getattr(x, "__name__", "")
)
def test_reading_pages_leave_the_request_transaction_and_the_rest_keep_it(model, model_admin):
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert not atomic_for_requests(reverse(f"{info}_changelist"))
    assert not atomic_for_requests(reverse(f"{info}_history", args=[1]))
    assert not atomic_for_requests(reverse(f"{info}_change", args=[1]))
    assert atomic_for_requests(reverse(f"{info}_delete", args=[1]))


def failing_after_a_write(seen):
    def view(request):
        seen.append(connection.in_atomic_block)
        DataCategoryFactory(name="Written before the failure")
        if request.method == "POST":
            raise RuntimeError("the second step failed")
        return HttpResponse("read")

    return view


@pytest.mark.django_db(transaction=True)
def test_a_post_that_fails_halfway_leaves_nothing_written():
    seen = []
    view = _atomic_unless_reading(failing_after_a_write(seen))
    with pytest.raises(RuntimeError):
        view(RequestFactory().post("/"))
    assert seen == [True]
    assert not DataCategory.objects.filter(name="Written before the failure").exists()


@pytest.mark.django_db(transaction=True)
def test_a_get_runs_outside_any_transaction():
    seen = []
    view = _atomic_unless_reading(failing_after_a_write(seen))
    assert view(RequestFactory().get("/")).content == b"read"
    assert seen == [False]
