"""Two-factor authentication for customer users: optional, or required of a controller's admins."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.two_factor import recovery_codes_reset

PASSWORD = "a-long-test-password"


def code_for(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(client, email):
    return client.post(reverse("portal:login"), {"username": email, "password": PASSWORD})


@pytest.fixture
def plain():
    return Client()


@pytest.fixture
def enrolled_owner(owner):
    owner.set_password(PASSWORD)
    owner.save()
    device = TOTPDevice.objects.create(user=owner, name="Phone", confirmed=True)
    return owner, device


def test_without_an_authenticator_the_password_is_enough(plain, member):
    member.set_password(PASSWORD)
    member.save()
    response = sign_in(plain, member.email)
    assert response["Location"] == reverse("portal:dashboard")
    assert plain.get(reverse("portal:dashboard")).status_code == 200


def test_with_an_authenticator_the_password_leads_to_the_code_step(plain, enrolled_owner):
    owner, device = enrolled_owner
    response = sign_in(plain, owner.email)
    assert response["Location"] == reverse("portal:login_code")
    assert "_auth_user_id" not in plain.session  # not signed in yet
    assert plain.get(reverse("portal:dashboard")).status_code == 302

    wrong = plain.post(reverse("portal:login_code"), {"token": "000000"})
    assert "That code does not match" in wrong.content.decode()
    assert "_auth_user_id" not in plain.session

    device.throttle_reset()  # as if the few seconds after a wrong code had passed
    right = plain.post(reverse("portal:login_code"), {"token": code_for(device)})
    assert right["Location"] == reverse("portal:dashboard")
    assert plain.get(reverse("portal:dashboard")).status_code == 200


def test_a_recovery_code_signs_in_once(plain, enrolled_owner):
    owner, _ = enrolled_owner
    (code, *_) = recovery_codes_reset(user=owner)
    sign_in(plain, owner.email)
    assert plain.post(reverse("portal:login_code"), {"token": code}).status_code == 302
    again = Client()
    sign_in(again, owner.email)
    assert (
        "does not match"
        in again.post(reverse("portal:login_code"), {"token": code}).content.decode()
    )


def test_the_code_step_needs_the_password_step(plain, db):
    assert plain.get(reverse("portal:login_code"))["Location"] == reverse("portal:login")


def test_a_member_turns_it_on_from_the_account_page(client, member):
    client.force_login(member)
    page = client.get(reverse("portal:two_factor_setup")).content.decode()
    assert re.search(r"Secret: <code>[A-Z2-7]{32}</code>", page)
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    done = client.post(reverse("portal:two_factor_setup"), {"token": code_for(device)})
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed


def test_an_organisation_requiring_it_sends_its_admins_to_set_it_up(
    client, owner, member, controller_a
):
    controller_a.require_admin_two_factor = True
    controller_a.save()
    client.force_login(owner)
    response = client.get(reverse("portal:activity_list"))
    assert response["Location"] == reverse("portal:two_factor_setup")
    assert client.get(reverse("portal:two_factor_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    client.post(reverse("portal:two_factor_setup"), {"token": code_for(device)})
    assert client.get(reverse("portal:activity_list")).status_code == 200
    # Members are not asked.
    other = Client()
    other.force_login(member)
    assert other.get(reverse("portal:activity_list")).status_code == 200


def test_an_admin_signed_in_without_a_code_is_asked_for_one(client, enrolled_owner, controller_a):
    owner, device = enrolled_owner
    controller_a.require_admin_two_factor = True
    controller_a.save()
    client.force_login(owner)  # a session from before the organisation required it
    response = client.get(reverse("portal:activity_list"))
    assert response["Location"].startswith(reverse("portal:login_code"))
    done = client.post(response["Location"], {"token": code_for(device)})
    assert done["Location"] == reverse("portal:activity_list")
    assert client.get(reverse("portal:activity_list")).status_code == 200


def test_it_cannot_be_turned_off_while_the_organisation_requires_it(
    client, enrolled_owner, controller_a
):
    owner, device = enrolled_owner
    controller_a.require_admin_two_factor = True
    controller_a.save()
    sign_in(client, owner.email)
    client.post(reverse("portal:login_code"), {"token": code_for(device)})
    response = client.post(reverse("portal:two_factor_disable"), {"token": "123456"}, follow=True)
    assert "it stays on" in response.content.decode()
    assert TOTPDevice.objects.filter(user=owner, confirmed=True).exists()


def test_turning_it_off_needs_a_current_code(client, member):
    member.set_password(PASSWORD)
    member.save()
    device = TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)
    client.force_login(member)
    refused = client.post(reverse("portal:two_factor_disable"), {"token": "000000"}, follow=True)
    assert "does not match" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=member).exists()
    device.throttle_reset()
    client.post(reverse("portal:two_factor_disable"), {"token": code_for(device)})
    assert not TOTPDevice.objects.filter(user=member).exists()


def test_only_a_verified_admin_can_require_it(client, plain, enrolled_owner, member, controller_a):
    owner, device = enrolled_owner
    client.force_login(owner)  # password only
    refused = client.post(reverse("portal:two_factor_policy"), {"required": "on"}, follow=True)
    assert "Turn on two-factor authentication for your own account first" in (
        refused.content.decode()
    )
    controller_a.refresh_from_db()
    assert controller_a.require_admin_two_factor is False

    sign_in(plain, owner.email)
    plain.post(reverse("portal:login_code"), {"token": code_for(device)})
    plain.post(reverse("portal:two_factor_policy"), {"required": "on"})
    controller_a.refresh_from_db()
    assert controller_a.require_admin_two_factor is True
    latest = controller_a.history.latest()
    assert latest.history_user == owner
    assert latest.history_change_reason == "portal.two_factor.required"

    as_member = Client()
    as_member.force_login(member)
    assert as_member.post(reverse("portal:two_factor_policy"), {}).status_code == 403
    controller_a.refresh_from_db()
    assert controller_a.require_admin_two_factor is True
