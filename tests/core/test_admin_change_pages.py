"""Every admin change page opens for whoever may view its model, and is a 403 for anyone else:
never a 500, for each staff role and for a superuser, with a real object on it."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from tests.core.admin_objects import ADMIN_OBJECTS, REGISTERED, admin_url
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_every_registered_admin_has_an_object_here():
    missing = [m._meta.label for m in REGISTERED if m not in ADMIN_OBJECTS]
    assert not missing, f"add these to tests/core/admin_objects.py ADMIN_OBJECTS: {missing}"


def may_view(user, model) -> bool:
    """What the role table grants: Django's admin shows a change page for view or change."""
    opts = model._meta
    return any(
        user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
        for action in ("view", "change")
    )


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_the_change_page_answers_each_role_200_or_403_never_500(model, client, django_user_model):
    obj = ADMIN_OBJECTS[model]()
    url = admin_url(model, "change", obj.pk)
    people = {
        role: StaffFactory(role=role)
        for role in (PRIVACY_OFFICER, SUPPORT_AGENT, SECURITY_LEAD, AUDITOR)
    }
    people["superuser"] = django_user_model.objects.create_superuser(
        "root@example.test", "pw-long-enough"
    )
    answers, expected = {}, {}
    for who, user in people.items():
        client.force_login(user)
        answers[who] = client.get(url).status_code
        if not may_view(user, model):
            expected[who] = 403
        elif not in_their_list(user, model, obj):
            # An admin that lists each person only their own rows (personal API tokens): for
            # anyone else the object does not exist, and Django's admin says so (a redirect).
            expected[who] = 302
        else:
            expected[who] = 200
    assert answers == expected


def in_their_list(user, model, obj) -> bool:
    request = RequestFactory().get("/")
    request.user = user
    model_admin = admin.site._registry[model]
    return model_admin.get_queryset(request).filter(pk=obj.pk).exists()


def test_the_expectation_differs_by_role():
    """So that the test above is not 200 everywhere: the working roles are refused somewhere,
    and a Privacy Officer views every model of ours."""
    ours = [m for m in REGISTERED if m._meta.app_config.name.startswith("apps.")]
    for role in (SUPPORT_AGENT, SECURITY_LEAD):
        user = StaffFactory(role=role)
        assert any(may_view(user, m) for m in ours), role
        assert not all(may_view(user, m) for m in ours), role
    officer = StaffFactory(role=PRIVACY_OFFICER)
    assert all(may_view(officer, m) for m in ours)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_a_superuser_opens_the_history_and_the_page_of_a_past_version(
    model, client, django_user_model
):
    """The history list and the page of a past version (simple-history's form) show the same
    fields as the change page, files included: no 500 there either."""
    obj = ADMIN_OBJECTS[model]()
    client.force_login(
        django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    )
    assert client.get(admin_url(model, "history", obj.pk)).status_code == 200
    if not hasattr(model, "history"):
        return  # the libraries' models keep no history
    version = obj.history.latest("history_date")
    response = client.get(admin_url(model, "simple_history", obj.pk, version.history_id))
    assert response.status_code == 200
