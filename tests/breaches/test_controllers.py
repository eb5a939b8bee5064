"""Which controllers an incident affects: proposed, chosen, confirmed."""

import pytest
from django.core.exceptions import ValidationError

from apps.breaches.models import BreachNotification
from apps.breaches.services import (
    breach_controllers_confirm,
    breach_controllers_fill_proposed,
    breach_controllers_propose,
    breach_notify_controllers,
)
from tests.factories import (
    BreachIncidentFactory,
    ControllerFactory,
    ProcessingActivityFactory,
    SubprocessorFactory,
)

pytestmark = pytest.mark.django_db


def test_proposal_follows_the_activities_that_use_an_affected_subprocessor(acme, birch):
    ControllerFactory(legal_name="Untouched SAS")
    storage = SubprocessorFactory(name="Object Storage Co")
    ProcessingActivityFactory(
        covers_all_controllers=False, controllers=[acme], subprocessors=[storage]
    )
    ProcessingActivityFactory(covers_all_controllers=False, controllers=[birch])
    incident = BreachIncidentFactory()
    incident.affected_subprocessors.add(storage)
    assert list(breach_controllers_propose(incident=incident)) == [acme]


def test_proposal_from_an_activity_covering_everyone_is_every_active_controller(acme, birch):
    ControllerFactory(legal_name="Gone Ltd", status="terminated", terminated_on="2026-02-01")
    activity = ProcessingActivityFactory(covers_all_controllers=True)
    incident = BreachIncidentFactory()
    incident.affected_activities.add(activity)
    assert list(breach_controllers_propose(incident=incident)) == [acme, birch]


def test_proposal_is_empty_when_nothing_is_marked_affected(acme):
    assert not breach_controllers_propose(incident=BreachIncidentFactory()).exists()


def test_filling_proposed_controllers_adds_them_to_the_chosen_ones(acme, birch, security_lead):
    activity = ProcessingActivityFactory(covers_all_controllers=False, controllers=[birch])
    incident = BreachIncidentFactory(affected_controllers=[acme])
    incident.affected_activities.add(activity)
    assert breach_controllers_fill_proposed(incident=incident, by=security_lead) == 1
    assert set(incident.affected_controllers.all()) == {acme, birch}
    # The m2m change is in the incident's history.
    assert incident.history.first().affected_controllers.count() == 2


def test_confirming_records_who_and_when_and_one_notification_per_controller(
    incident, security_lead, acme, birch
):
    notifications = breach_controllers_confirm(incident=incident, by=security_lead)
    incident.refresh_from_db()
    assert incident.controllers_confirmed_by == security_lead
    assert incident.controllers_confirmed_at is not None
    assert {n.controller for n in notifications} == {acme, birch}
    assert all(n.sent_at is None for n in notifications)
    # Confirming again neither duplicates nor loses anything.
    breach_controllers_confirm(incident=incident, by=security_lead)
    assert BreachNotification.objects.filter(incident=incident).count() == 2


def test_confirming_an_explicit_list_replaces_the_unsent_ones(incident, security_lead, acme):
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_controllers_confirm(incident=incident, controllers=[acme], by=security_lead)
    assert list(incident.notifications.values_list("controller", flat=True)) == [acme.pk]
    assert list(incident.affected_controllers.all()) == [acme]


def test_a_notified_controller_cannot_be_taken_off(incident, security_lead, acme, birch):
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_notify_controllers(incident=incident, by=security_lead)
    with pytest.raises(ValidationError, match="Already notified, so they stay affected: Birch"):
        breach_controllers_confirm(incident=incident, controllers=[acme], by=security_lead)
    assert incident.notifications.count() == 2
    assert incident.affected_controllers.count() == 2


def test_one_notification_per_incident_and_controller_in_the_database(incident, acme):
    from django.db import IntegrityError, transaction

    BreachNotification.objects.create(incident=incident, controller=acme)
    with pytest.raises(IntegrityError), transaction.atomic():
        BreachNotification.objects.create(incident=incident, controller=acme)
