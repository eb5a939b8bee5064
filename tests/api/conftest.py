from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from apps.breaches.services import breach_controllers_confirm, breach_notify_controllers
from apps.controllers.models import Membership
from apps.dsar.services import dsar_attachment_add, dsar_reply_add
from apps.integrations.models import ApiToken
from apps.integrations.services import api_token_create
from apps.processors.models import ProcessingActivity
from apps.subprocessors.services import objection_raise
from tests.factories import (
    BreachIncidentFactory,
    ControllerFactory,
    DsarTicketFactory,
    MembershipFactory,
    ProcessingActivityFactory,
    StaffFactory,
    SubprocessorChangeFactory,
    TransferFactory,
)

Role = Membership.Role


class ApiClient(Client):
    """A test client that sends a bearer token with every request."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def _base_environ(self, **request):
        environ = super()._base_environ(**request)
        if self.token and "HTTP_AUTHORIZATION" not in request:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return environ


def make_token(*, controller=None, by, scope="read_write", includes_history=True, days=30):
    return api_token_create(
        name="Help desk",
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
        controller=controller,
        includes_history=includes_history,
        by=by,
    )


@pytest.fixture
def controller_a(db):
    return ControllerFactory(legal_name="Alpha Apps Ltd")


@pytest.fixture
def controller_b(db):
    return ControllerFactory(legal_name="Bravo Games SAS")


@pytest.fixture
def admin_a(controller_a):
    return MembershipFactory(
        controller=controller_a, role=Role.ADMIN, user__email="owner@alpha.test"
    ).user


@pytest.fixture
def admin_b(controller_b):
    return MembershipFactory(
        controller=controller_b, role=Role.ADMIN, user__email="owner@bravo.test"
    ).user


@pytest.fixture
def issued_a(controller_a, admin_a):
    return make_token(controller=controller_a, by=admin_a)


@pytest.fixture
def token_a(issued_a) -> ApiToken:
    return issued_a.token


@pytest.fixture
def api_a(issued_a):
    """A read-and-write token of A, with the change history."""
    return ApiClient(issued_a.secret)


@pytest.fixture
def api_b(controller_b, admin_b):
    return ApiClient(make_token(controller=controller_b, by=admin_b).secret)


@pytest.fixture
def anonymous_api():
    return ApiClient()


def approved_activity(**kwargs):
    return ProcessingActivityFactory(
        status=ProcessingActivity.Status.APPROVED,
        approved_by=StaffFactory(),
        approved_at=timezone.now(),
        **kwargs,
    )


@pytest.fixture
def world_a(controller_a, admin_a):
    """Records of A: a request with a reply and a file, a notified breach, a change objected to,
    an activity in its record."""
    staff = StaffFactory()
    ticket = DsarTicketFactory(controller=controller_a, data_subject_identifier="alpha-user-7")
    dsar_reply_add(ticket=ticket, author=staff, body="Alpha-only reply", visible_to_customer=True)
    attachment = dsar_attachment_add(
        ticket=ticket,
        uploaded_by=staff,
        upload=SimpleUploadedFile("answer.txt", b"Alpha's answer"),
        visible_to_customer=True,
    )
    incident = BreachIncidentFactory(
        title="Alpha-only incident", owner=staff, affected_controllers=[controller_a]
    )
    breach_controllers_confirm(incident=incident, by=staff)
    breach_notify_controllers(incident=incident, by=staff)
    change = SubprocessorChangeFactory()
    objection = objection_raise(
        change=change, controller=controller_a, reason="Alpha-only reason", by=admin_a
    )
    activity = approved_activity(
        name="Alpha-only activity", covers_all_controllers=False, controllers=[controller_a]
    )
    activity.subprocessors.add(TransferFactory().subprocessor)
    return {
        "organisation_id": controller_a.pk,
        "reference": ticket.reference,
        "attachment_id": attachment.pk,
        "incident_reference": incident.reference,
        "change_id": change.pk,
        "objection_id": objection.pk,
        "ticket": ticket,
        "incident": incident,
    }
