from datetime import timedelta

import pytest
from django.utils import timezone

from apps.controllers.models import Membership
from apps.dsar.services import dsar_ticket_submit
from tests.factories import (
    ControllerFactory,
    MembershipFactory,
    ProcessingActivityFactory,
    SubprocessorFactory,
)


@pytest.fixture
def controller(db):
    return ControllerFactory(contact_email="privacy@acme.test")


@pytest.fixture
def owner(controller):
    return MembershipFactory(
        controller=controller, role=Membership.Role.ADMIN, user__email="owner@acme.test"
    ).user


@pytest.fixture
def outsider(db):
    return MembershipFactory(user__email="outsider@other.test").user


@pytest.fixture
def subprocessors(controller, officer):
    """Two subprocessors in an approved activity covering every controller; one in a draft."""
    stripe, resend, draft_only = (
        SubprocessorFactory(name=n) for n in ("Stripe", "Resend", "Draft")
    )
    ProcessingActivityFactory(
        status="approved",
        approved_by=officer,
        approved_at=timezone.now(),
        subprocessors=[stripe, resend],
    )
    ProcessingActivityFactory(status="draft", subprocessors=[draft_only])
    return stripe, resend


@pytest.fixture
def submit(controller, owner):
    def _submit(**overrides):
        kwargs = {
            "controller": controller,
            "submitted_by": owner,
            "request_type": "access",
            "data_subject_identifier": "user-42",
            "received_at": timezone.now() - timedelta(days=1),
            "details": "Wants a copy of their data.",
        }
        kwargs.update(overrides)
        return dsar_ticket_submit(**kwargs)

    return _submit
