from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.breaches.services import breach_controllers_confirm, breach_notify_controllers
from apps.controllers.models import Membership
from apps.dsar.services import dsar_attachment_add
from apps.integrations.models import WebhookEvent
from apps.integrations.services import (
    api_token_create,
    webhook_endpoint_create,
    webhook_event_record,
)
from apps.processors.models import ProcessingActivity
from tests.factories import (
    AuditGrantFactory,
    BreachIncidentFactory,
    ControllerFactory,
    DataExportFactory,
    DeletionRequestFactory,
    DsarTicketFactory,
    JobFactory,
    MembershipFactory,
    ObjectionFactory,
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


@pytest.fixture
def objects_of_a(controller_a, activity_of_a, owner):
    """kwarg name → the value that points at an object of controller A."""
    colleague = MembershipFactory(
        controller=controller_a, role=Membership.Role.MEMBER, user__email="colleague@alpha.test"
    )
    ticket = DsarTicketFactory(controller=controller_a)
    attachment = dsar_attachment_add(
        ticket=ticket,
        uploaded_by=None,
        upload=SimpleUploadedFile("answer.txt", b"Alpha's answer"),
        visible_to_customer=True,
    )
    staff = StaffFactory()
    incident = BreachIncidentFactory(
        title="Alpha-only incident", owner=staff, affected_controllers=[controller_a]
    )
    breach_controllers_confirm(incident=incident, by=staff)
    breach_notify_controllers(incident=incident, by=staff)
    grant = AuditGrantFactory(controller=controller_a, auditor__email="grantee@alpha.test")
    token_maker = MembershipFactory(
        controller=controller_a, role=Membership.Role.ADMIN, user__email="tokens@alpha.test"
    ).user
    token = api_token_create(
        name="Alpha help desk",
        scope="read",
        expires_at=timezone.now() + timedelta(days=30),
        controller=controller_a,
        by=token_maker,
    ).token
    endpoint, _ = webhook_endpoint_create(
        controller=controller_a,
        url="https://hooks.alpha.example/records",
        events=[WebhookEvent.REQUEST_STATUS_CHANGED],
        by=token_maker,
    )
    (message,) = webhook_event_record(
        event_type=WebhookEvent.REQUEST_STATUS_CHANGED,
        data={"request": ticket.reference},
        controllers=[controller_a.pk],
    )
    return {
        "activity_id": activity_of_a.pk,
        "membership_id": colleague.pk,
        "controller_id": controller_a.pk,
        "ticket_reference": ticket.reference,
        "attachment_id": attachment.pk,
        "incident_id": incident.pk,
        "export_id": DataExportFactory(controller=controller_a, ready=True).pk,
        "deletion_id": DeletionRequestFactory(controller=controller_a).pk,
        "grant_id": grant.pk,
        "token_id": token.pk,
        "endpoint_id": endpoint.pk,
        "message_id": message.pk,
        "objection_id": ObjectionFactory(controller=controller_a).pk,
        # A PDF made for A's admin (the owner fixture): its job page and file.
        "job_id": JobFactory(controller=controller_a, started_by=owner, with_file=True).pk,
    }
