"""The staff sign-in (email, password and code in one form): one identity whatever the case of
the address, and one answer for every refusal, each counted toward the lockout."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.admin_site import StaffAdminSite
from apps.accounts.models import SecurityEvent
from apps.accounts.two_factor import recovery_codes_reset
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"
EMAIL = "staff@calljmp.test"


def code_for(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code_for(device):
    return f"{(int(code_for(device)) + 1) % 1_000_000:06d}"


@pytest.fixture
def enrolled_staff():
    user = StaffFactory(email=EMAIL, password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    recovery_codes_reset(user=user)
    return user, device


def admin_login(email, password, token=""):
    """A fresh browser each time, so that nothing but the answer differs between tries."""
    client = Client()
    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": email, "password": password, "otp_token": token, "next": "/admin/"},
    )
    return client, response


def page_text(response) -> str:
    # The CSRF token is masked afresh on every page; nothing else may differ.
    return re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"',
        'name="csrfmiddlewaretoken" value=""',
        response.content.decode(),
    )


def failures(email=EMAIL) -> int:
    attempt = AccessAttempt.objects.filter(username=email).first()
    return attempt.failures_since_start if attempt else 0


def test_the_staff_site_lives_in_accounts():
    assert isinstance(admin.site, StaffAdminSite)
    assert admin.site.__class__.__module__ == "apps.accounts.admin_site"


def test_wrong_password_and_wrong_code_read_the_same_and_both_count(enrolled_staff):
    _, device = enrolled_staff
    _, wrong_password = admin_login(EMAIL, "not-the-password", code_for(device))
    assert failures() == 1
    _, wrong_code = admin_login(EMAIL, PASSWORD, wrong_code_for(device))
    assert failures() == 2

    assert wrong_password.status_code == wrong_code.status_code == 200
    assert page_text(wrong_password) == page_text(wrong_code)
    assert "Invalid sign-in" in page_text(wrong_code)
    # The password is never sent back, as django-otp's form would for a right one.
    assert PASSWORD not in page_text(wrong_code)


@pytest.mark.parametrize("refusal", ["no code", "throttled", "recovery code used up"])
def test_every_refusal_after_a_right_password_reads_as_a_wrong_password(enrolled_staff, refusal):
    user, device = enrolled_staff
    if refusal == "no code":
        token = ""
    elif refusal == "throttled":
        for _ in range(5):  # as after five wrong codes: the device waits 16 seconds
            device.throttle_increment()
        token = code_for(device)
    else:
        token = recovery_codes_reset(user=user)[0]
        assert admin_login(EMAIL, PASSWORD, token)[1].status_code == 302
    _, reference = admin_login(EMAIL, "not-the-password", token)
    client, response = admin_login(EMAIL, PASSWORD, token)
    assert page_text(response) == page_text(reference)
    assert "_auth_user_id" not in client.session
    assert failures() == 2


def test_a_customer_password_at_the_admin_reads_the_same_and_counts(enrolled_staff):
    UserFactory(email="customer@x.test", password=PASSWORD)
    _, reference = admin_login(EMAIL, "not-the-password", "123456")
    _, customer = admin_login("customer@x.test", PASSWORD, "123456")
    assert page_text(customer) == page_text(reference).replace(EMAIL, "customer@x.test")
    assert failures("customer@x.test") == 1


def test_the_security_event_tells_the_reviewer_which_factor_failed(enrolled_staff):
    _, device = enrolled_staff
    admin_login(EMAIL, PASSWORD, wrong_code_for(device))
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_FAILED)
    assert event.username == EMAIL
    assert event.detail == "wrong two-factor code"


def test_wrong_codes_lock_out_like_wrong_passwords(enrolled_staff, settings):
    _, device = enrolled_staff
    for _ in range(settings.AXES_FAILURE_LIMIT):
        device.throttle_reset()
        _, response = admin_login(EMAIL, PASSWORD, wrong_code_for(device))
    assert response.status_code == 429
    device.throttle_reset()
    client, response = admin_login(EMAIL, PASSWORD, code_for(device))
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_six_digits_are_tried_on_the_authenticator_only(enrolled_staff):
    user, device = enrolled_staff
    admin_login(EMAIL, PASSWORD, wrong_code_for(device))
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert StaticDevice.objects.get(user=user).throttling_failure_count == 0


def test_another_case_of_the_address_signs_in(enrolled_staff):
    _, device = enrolled_staff
    client, response = admin_login("STAFF@Calljmp.TEST", PASSWORD, code_for(device))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_another_case_gets_no_fresh_tries_after_a_lockout(enrolled_staff, settings):
    _, device = enrolled_staff
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(EMAIL, "not-the-password", "123456")
    client, response = admin_login("STAFF@CALLJMP.TEST", PASSWORD, code_for(device))
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [EMAIL]


def test_a_door_that_passes_the_address_as_typed_counts_toward_the_same_lockout(
    enrolled_staff, settings, rf
):
    # Any sign-in that reaches authenticate() with the address as typed is counted under the
    # normalised address all the same (AXES_USERNAME_CALLABLE).
    _, device = enrolled_staff
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        admin_login(EMAIL, "not-the-password", "123456")
    request = rf.post("/somewhere/", {"username": "Staff@CALLJMP.test"})
    assert authenticate(request, username="Staff@CALLJMP.test", password="nope") is None
    assert failures() == settings.AXES_FAILURE_LIMIT
    _, response = admin_login(EMAIL, PASSWORD, code_for(device))
    assert response.status_code == 429


def test_the_enrolment_page_takes_the_address_in_any_case(enrolled_staff):
    response = Client().post(
        reverse("accounts:two_factor_start"),
        {"username": "Staff@CALLJMP.test", "password": PASSWORD},
    )
    assert "already has an authenticator" in response.content.decode()
