"""Who may change a controller's data: one check, for the portal and every service."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.controllers.models import Membership
from apps.controllers.selectors import membership_can_write
from tests.factories import ControllerFactory, MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.mark.parametrize(
    ("role", "may_write"), [(Role.ADMIN, True), (Role.MEMBER, True), (Role.AUDITOR, False)]
)
def test_admins_and_members_write_auditors_only_read(role, may_write):
    membership = MembershipFactory(
        role=role, expires_at=timezone.now() + timedelta(days=5) if role == Role.AUDITOR else None
    )
    assert membership.can_write is may_write
    assert membership_can_write(user=membership.user, controller=membership.controller) is may_write
    # The controller's id serves as well, for a caller that holds only a foreign key.
    assert (
        membership_can_write(user=membership.user, controller=membership.controller_id) is may_write
    )


def test_an_expired_membership_writes_nothing():
    membership = MembershipFactory(
        role=Role.ADMIN, expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert not membership_can_write(user=membership.user, controller=membership.controller)


def test_a_member_of_another_controller_writes_nothing():
    membership = MembershipFactory(role=Role.ADMIN)
    other = ControllerFactory()
    assert not membership_can_write(user=membership.user, controller=other)


def test_staff_and_nobody_write_nothing_as_customers():
    controller = ControllerFactory()
    assert not membership_can_write(user=StaffFactory(), controller=controller)
    assert not membership_can_write(user=AnonymousUser(), controller=controller)
    assert not membership_can_write(user=None, controller=controller)
