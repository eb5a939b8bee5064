"""The one two-factor flow that the staff enrolment and the portal's account page share."""

import pytest
from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import SecurityEvent
from apps.accounts.two_factor import (
    has_confirmed_device,
    pending_totp_device,
    recovery_codes_reset,
    two_factor_code_verify,
    two_factor_confirm,
    two_factor_remove,
)
from tests.factories import MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    return "000000" if code_for(device) != "000000" else "111111"


@pytest.fixture(params=["staff", "customer"])
def person(request):
    if request.param == "staff":
        return StaffFactory()
    return MembershipFactory().user


def test_setting_up_makes_one_unconfirmed_device(person):
    device = pending_totp_device(user=person)
    assert pending_totp_device(user=person) == device
    assert device.confirmed is False
    assert not has_confirmed_device(user=person)


def test_a_wrong_code_is_refused_and_confirms_nothing(person):
    device = pending_totp_device(user=person)
    with pytest.raises(ValidationError, match="That code does not match"):
        two_factor_confirm(device=device, token=wrong_code_for(device))
    device.refresh_from_db()
    assert device.confirmed is False
    assert device.throttling_failure_count == 1  # kept although the confirmation failed
    assert not StaticDevice.objects.filter(user=person).exists()
    # Setting up is not signing in: a mistyped first code is no security event.
    assert not SecurityEvent.objects.filter(user=person).exists()


def test_the_right_code_confirms_and_issues_recovery_codes(person):
    device = pending_totp_device(user=person)
    codes = two_factor_confirm(
        device=device, token=f" {code_for(device)[:3]} {code_for(device)[3:]}"
    )
    device.refresh_from_db()
    assert device.confirmed is True
    assert has_confirmed_device(user=person)
    assert len(codes) == len(set(codes)) == 10
    stored = StaticDevice.objects.get(user=person).token_set.values_list("token", flat=True)
    assert sorted(stored) == sorted(codes)


def test_a_throttled_device_is_refused_even_with_the_right_code(person):
    device = pending_totp_device(user=person)
    with pytest.raises(ValidationError):
        two_factor_confirm(device=device, token=wrong_code_for(device))
    with pytest.raises(ValidationError, match="Too many wrong codes"):
        two_factor_confirm(device=device, token=code_for(device))
    device.refresh_from_db()
    assert device.confirmed is False


def test_signing_in_with_a_wrong_code_is_a_security_event(person):
    device = TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    with pytest.raises(ValidationError, match="That code does not match"):
        two_factor_code_verify(user=person, token=wrong_code_for(device))
    event = SecurityEvent.objects.get(user=person)
    assert (event.kind, event.username, event.detail) == (
        SecurityEvent.Kind.LOGIN_FAILED,
        person.email,
        "wrong two-factor code",
    )
    device.throttle_reset()
    assert two_factor_code_verify(user=person, token=code_for(device)) == device


def test_a_recovery_code_verifies_once(person):
    TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    code, *_ = recovery_codes_reset(user=person)
    assert isinstance(two_factor_code_verify(user=person, token=code), StaticDevice)
    with pytest.raises(ValidationError, match="That code does not match"):
        two_factor_code_verify(user=person, token=code)


def test_removing_takes_the_authenticator_and_the_recovery_codes(person):
    TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    recovery_codes_reset(user=person)
    two_factor_remove(user=person)
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not StaticDevice.objects.filter(user=person).exists()
