import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.two_factor import recovery_codes_reset
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


def code_for(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def plain():
    return Client()


@pytest.fixture
def enrolled_staff():
    user = StaffFactory(email="staff@calljmp.test", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user, device


def admin_login(client, email, password, token=""):
    return client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": email, "password": password, "otp_token": token, "next": "/admin/"},
    )


def test_password_alone_does_not_open_the_admin(plain, enrolled_staff):
    response = admin_login(plain, "staff@calljmp.test", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in plain.session
    plain.force_login(enrolled_staff[0])  # a session without a second factor
    assert plain.get(reverse("admin:index")).status_code == 302


def test_password_and_code_open_the_admin(plain, enrolled_staff):
    user, device = enrolled_staff
    response = admin_login(plain, user.email, PASSWORD, code_for(device))
    assert response.status_code == 302
    assert plain.get(reverse("admin:index")).status_code == 200


def test_a_wrong_code_is_refused_with_a_message(plain, enrolled_staff):
    response = admin_login(plain, "staff@calljmp.test", PASSWORD, "000000")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Invalid token" in page or "invalid" in page.lower()
    assert "_auth_user_id" not in plain.session


def test_a_recovery_code_works_once(plain, enrolled_staff):
    user, _ = enrolled_staff
    codes = recovery_codes_reset(user=user)
    assert len(codes) == 10
    assert admin_login(plain, user.email, PASSWORD, codes[0]).status_code == 302
    other = Client()
    assert admin_login(other, user.email, PASSWORD, codes[0]).status_code == 200


def test_staff_enrols_an_authenticator_and_gets_recovery_codes(plain):
    user = StaffFactory(email="new@calljmp.test", password=PASSWORD)
    response = plain.post(
        reverse("accounts:two_factor_start"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    page = plain.get(reverse("accounts:two_factor_confirm")).content.decode()
    secret = re.search(r"Secret: <code>([A-Z2-7]+)</code>", page).group(1)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert len(secret) >= 32

    wrong = plain.post(reverse("accounts:two_factor_confirm"), {"token": "123456"})
    assert "That code does not match" in wrong.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    too_soon = plain.post(reverse("accounts:two_factor_confirm"), {"token": code_for(device)})
    assert "Too many wrong codes in a row" in too_soon.content.decode()
    device.throttle_reset()  # as if the few seconds had passed

    done = plain.post(reverse("accounts:two_factor_confirm"), {"token": code_for(device)})
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed is True
    assert plain.get(reverse("admin:index")).status_code == 200


def test_enrolment_is_refused_when_an_authenticator_exists(plain, enrolled_staff):
    response = plain.post(
        reverse("accounts:two_factor_start"),
        {"username": "staff@calljmp.test", "password": PASSWORD},
    )
    assert "already has an authenticator" in response.content.decode()
    assert TOTPDevice.objects.filter(user=enrolled_staff[0]).count() == 1


def test_enrolment_is_for_staff_only(plain):
    UserFactory(email="customer@example.test", password=PASSWORD)
    response = plain.post(
        reverse("accounts:two_factor_start"),
        {"username": "customer@example.test", "password": PASSWORD},
    )
    assert "for staff accounts" in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_confirm_page_needs_the_password_step_first(plain):
    response = plain.get(reverse("accounts:two_factor_confirm"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_start")
