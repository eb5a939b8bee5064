"""Every admin list filters only through the filters it shows.

Django lets a changelist's query string filter on any field of the model: `?body__regex=^h`
answers whether a hidden value starts with "h", and repeating it reads the value. Here any
lookup that is not one of the list's own filter parameters is a 400, for every registered admin
(ours and the libraries'), on every field of its model and across its foreign keys.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from apps.core.admin import OfferedLookupsOnlyMixin, offered_lookups
from apps.trail.models import TrailEntry
from tests.core.admin_objects import ADMIN_OBJECTS, REGISTERED, admin_url

pytestmark = pytest.mark.django_db

# The trail's list is its own view (keyset pages, its own filter form): unknown parameters are
# ignored there, never turned into lookups.
OWN_LIST_VIEWS = {TrailEntry}


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


def probes(model) -> list[str]:
    """A regex on every concrete field, and a guess at the password of every user it names."""
    lookups = [f"{field.name}__regex" for field in model._meta.concrete_fields]
    user_model = get_user_model()
    lookups += [
        f"{field.name}__password__startswith"
        for field in model._meta.get_fields()
        if field.is_relation and field.related_model is user_model and field.concrete
    ]
    return lookups


def test_every_registered_admin_takes_the_rule():
    missing = [
        m._meta.label
        for m, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, OfferedLookupsOnlyMixin)
    ]
    assert not missing, f"register these on RegisterAdmin or offered_lookups_only: {missing}"


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_a_lookup_the_list_does_not_offer_is_a_400(model, superuser_client, superuser):
    ADMIN_OBJECTS[model]()
    url = admin_url(model, "changelist")
    model_admin = admin.site._registry[model]
    request = RequestFactory().get(url)
    request.user = superuser
    unfiltered = superuser_client.get(url)
    answers = {}
    for lookup in probes(model):
        assert not model_admin.lookup_allowed(lookup, "x", request), lookup
        response = superuser_client.get(url, {lookup: "x"})
        answers[lookup] = response.status_code
        if model in OWN_LIST_VIEWS:  # the parameter is ignored: the same rows as without it
            assert response.status_code == 200, lookup
            assert response.context["rows"] == unfiltered.context["rows"], lookup
    if model not in OWN_LIST_VIEWS:
        assert answers == dict.fromkeys(answers, 400)


def test_foreign_keys_to_users_are_probed():
    """The probes reach across the foreign keys to the user (the test above is not vacuous)."""
    from apps.dsar.models import DsarTicket

    assert "assignee__password__startswith" in probes(DsarTicket)


def value_for(lookup: str) -> str:
    for suffix, value in (
        ("__isnull", "True"),
        ("__isempty", "1"),
        ("__gte", "2026-01-01"),
        ("__lt", "2026-01-01"),
        ("__year", "2026"),
        ("__month", "1"),
        ("__day", "1"),
        ("__exact", "1"),
    ):
        if lookup.endswith(suffix):
            return value
    return "x"  # a simple filter's choice, or one value of a field


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_each_offered_filter_still_filters(model, superuser_client, superuser):
    ADMIN_OBJECTS[model]()
    url = admin_url(model, "changelist")
    request = RequestFactory().get(url)
    request.user = superuser
    lookups = offered_lookups(admin.site._registry[model], request)
    answers = {
        lookup: superuser_client.get(url, {lookup: value_for(lookup)}).status_code
        for lookup in sorted(lookups)
    }
    # 302: Django's own "?e=1" for a value the field cannot take; never a 400 or a 500.
    assert set(answers.values()) <= {200, 302}, answers


def test_a_sidebar_link_of_the_outbox_is_offered_and_a_body_lookup_is_not(superuser):
    from apps.notifications.models import Notification

    model_admin = admin.site._registry[Notification]
    request = RequestFactory().get("/")
    request.user = superuser
    assert offered_lookups(model_admin, request) == {
        "status__exact",
        "status__isnull",
        "delivery",
        "channel",
        "kind",
    }
