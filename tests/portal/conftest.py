from datetime import timedelta

import pytest
from django.utils import timezone

from apps.controllers.models import Membership
from apps.processors.models import ProcessingActivity
from tests.factories import (
    ControllerFactory,
    MembershipFactory,
    ProcessingActivityFactory,
    StaffFactory,
    UserFactory,
)

Role = Membership.Role


def approved_activity(**kwargs):
    approver = kwargs.pop("approved_by", None) or StaffFactory()
    return ProcessingActivityFactory(
        status=ProcessingActivity.Status.APPROVED,
        approved_by=approver,
        approved_at=timezone.now(),
        **kwargs,
    )


@pytest.fixture
def controller_a(db):
    return ControllerFactory(legal_name="Alpha Apps Ltd")


@pytest.fixture
def controller_b(db):
    return ControllerFactory(legal_name="Bravo Games SAS")


@pytest.fixture
def owner(controller_a):
    """An admin of controller A."""
    return MembershipFactory(
        controller=controller_a, role=Role.ADMIN, user__email="owner@alpha.test"
    ).user


@pytest.fixture
def member(controller_a):
    return MembershipFactory(
        controller=controller_a, role=Role.MEMBER, user__email="member@alpha.test"
    ).user


@pytest.fixture
def auditor(controller_a):
    return MembershipFactory(
        controller=controller_a,
        role=Role.AUDITOR,
        expires_at=timezone.now() + timedelta(days=30),
        user__email="auditor@alpha.test",
    ).user


@pytest.fixture
def outsider(controller_b):
    """An admin of controller B: every object of A must be a 404 to them."""
    return MembershipFactory(
        controller=controller_b, role=Role.ADMIN, user__email="outsider@bravo.test"
    ).user


@pytest.fixture
def expired(controller_a):
    """Once an admin of A; the membership has ended."""
    return MembershipFactory(
        controller=controller_a,
        role=Role.ADMIN,
        expires_at=timezone.now() - timedelta(minutes=1),
        user__email="expired@alpha.test",
    ).user


@pytest.fixture
def activity_of_a(controller_a):
    """An approved activity that covers controller A only."""
    return approved_activity(
        name="Alpha-only secret activity", covers_all_controllers=False, controllers=[controller_a]
    )


@pytest.fixture
def user_without_membership(db):
    return UserFactory()
