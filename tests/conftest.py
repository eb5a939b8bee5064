import pytest

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from tests.factories import StaffFactory


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
