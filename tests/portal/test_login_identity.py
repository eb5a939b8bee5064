"""One address, one identity at the portal's sign-in: any case or Unicode form of it signs in,
and all of them share one lockout counter."""

from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from apps.controllers.models import Membership
from tests.factories import MembershipFactory

PASSWORD = "a-long-test-password"


def portal_login(client, email, password):
    return client.post(reverse("portal:login"), {"username": email, "password": password})


def test_another_case_of_the_address_signs_in(client, controller_a):
    MembershipFactory(
        controller=controller_a, role=Membership.Role.MEMBER, user__email="ann@x.test"
    )
    response = portal_login(client, "ANN@X.TEST", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    assert "Alpha Apps Ltd" in client.get(response["Location"]).content.decode()


def test_full_width_letters_are_the_same_address(client, controller_a):
    MembershipFactory(
        controller=controller_a, role=Membership.Role.MEMBER, user__email="ann@x.test"
    )
    response = portal_login(client, "ＡＮＮ@x.test", PASSWORD)
    assert response.status_code == 302


def test_another_case_gets_no_fresh_tries_after_a_lockout(client, controller_a, settings):
    MembershipFactory(
        controller=controller_a, role=Membership.Role.MEMBER, user__email="multi@x.test"
    )
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = portal_login(client, "multi@x.test", "wrong-password")
    assert response.status_code == 429

    other_browser = Client()
    response = portal_login(other_browser, "MULTI@x.test", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in other_browser.session
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["multi@x.test"]


def test_failures_in_mixed_case_add_up_to_one_lockout(client, controller_a, settings):
    MembershipFactory(
        controller=controller_a, role=Membership.Role.MEMBER, user__email="multi@x.test"
    )
    spellings = ["multi@x.test", "MULTI@x.test", "Multi@X.Test", "mULTI@x.TEST", "multi@X.test"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = portal_login(client, spellings[n % len(spellings)], "wrong-password")
    assert response.status_code == 429
    assert AccessAttempt.objects.get().failures_since_start == settings.AXES_FAILURE_LIMIT
