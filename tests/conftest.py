import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from tests.factories import StaffFactory


class SecondFactorClient(Client):
    """A test client whose force_login also passes the staff second factor, as a staff member
    who typed a valid code would. Tests of the login itself use a plain Client."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if user.is_staff:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="Test authenticator", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


@pytest.fixture(autouse=True)
def checkpoint_store(settings, tmp_path):
    """Each test keeps its own trail checkpoints, as each has its own database."""
    settings.STORAGES = {
        **settings.STORAGES,
        "trail_checkpoints": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "trail-checkpoints"), "base_url": None},
        },
    }


@pytest.fixture
def client():
    return SecondFactorClient()


@pytest.fixture
def officer(db):
    return StaffFactory(role=PRIVACY_OFFICER)


@pytest.fixture
def support_agent(db):
    return StaffFactory(role=SUPPORT_AGENT)


@pytest.fixture
def security_lead(db):
    return StaffFactory(role=SECURITY_LEAD)


@pytest.fixture
def staff_auditor(db):
    return StaffFactory(role=AUDITOR)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client
