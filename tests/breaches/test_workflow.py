"""The incident workflow and its reference numbers."""

import itertools
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone as tz

from apps.breaches.models import BreachIncident
from apps.breaches.services import (
    breach_controllers_confirm,
    breach_incident_create,
    breach_incident_transition,
    breach_notify_controllers,
)
from apps.core.models import ReferenceCounter
from tests.factories import BreachIncidentFactory

pytestmark = pytest.mark.django_db
S = BreachIncident.Status

ALLOWED = {
    (S.OPEN, S.CONTAINED),
    (S.OPEN, S.RESOLVED),
    (S.CONTAINED, S.OPEN),
    (S.CONTAINED, S.RESOLVED),
    (S.RESOLVED, S.OPEN),
    (S.RESOLVED, S.CLOSED),
}


@pytest.mark.parametrize("start,to", list(itertools.product(S.values, S.values)))
def test_every_move_between_two_states_is_allowed_or_refused_as_the_table_says(
    start, to, security_lead
):
    # Confirmed with no affected controller, so that closing depends on the table alone.
    incident = BreachIncidentFactory(status=start, controllers_confirmed_at=tz.now())
    if (start, to) in ALLOWED:
        breach_incident_transition(incident=incident, to=to, by=security_lead)
        incident.refresh_from_db()
        assert incident.status == to
        assert (incident.closed_at is not None) == (to == S.CLOSED)
        assert incident.history.latest().history_change_reason == f"breaches.incident.{to}"
        assert incident.history.latest().history_user == security_lead
    else:
        with pytest.raises(ValidationError, match="cannot go from|is already"):
            breach_incident_transition(incident=incident, to=to, by=security_lead)
        incident.refresh_from_db()
        assert incident.status == start


def test_closing_with_a_controller_not_yet_notified_is_refused(incident, security_lead):
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_incident_transition(incident=incident, to=S.RESOLVED, by=security_lead)
    with pytest.raises(ValidationError, match="not yet notified: Acme Fitness Ltd, Birch"):
        breach_incident_transition(incident=incident, to=S.CLOSED, by=security_lead)
    incident.refresh_from_db()
    assert incident.status == S.RESOLVED
    assert incident.closed_at is None


def test_closing_without_confirmed_controllers_is_refused(incident, security_lead):
    breach_incident_transition(incident=incident, to=S.RESOLVED, by=security_lead)
    with pytest.raises(ValidationError, match="never confirmed"):
        breach_incident_transition(incident=incident, to=S.CLOSED, by=security_lead)


def test_closing_after_the_chosen_controllers_changed_asks_to_confirm_again(
    incident, security_lead, acme
):
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_notify_controllers(incident=incident, by=security_lead)
    incident.affected_controllers.remove(acme)
    breach_incident_transition(incident=incident, to=S.RESOLVED, by=security_lead)
    with pytest.raises(ValidationError, match="confirm them again"):
        breach_incident_transition(incident=incident, to=S.CLOSED, by=security_lead)


def test_closing_once_every_controller_is_notified_is_allowed(incident, security_lead):
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_notify_controllers(incident=incident, by=security_lead)
    breach_incident_transition(incident=incident, to=S.RESOLVED, by=security_lead)
    breach_incident_transition(incident=incident, to=S.CLOSED, by=security_lead)
    incident.refresh_from_db()
    assert incident.status == S.CLOSED


def _create(by, **kwargs):
    return breach_incident_create(incident=BreachIncidentFactory.build(owner=by, **kwargs), by=by)


def test_references_count_up_per_year(security_lead, monkeypatch):
    year = datetime.now(UTC).year
    first, second = _create(security_lead), _create(security_lead)
    assert (first.reference, second.reference) == (f"INC-{year}-0001", f"INC-{year}-0002")
    assert first.history.latest().history_change_reason == "breaches.incident.created"


def test_a_deleted_incidents_reference_is_never_reused(security_lead):
    first = _create(security_lead)
    number = first.reference
    first.delete()
    second = _create(security_lead)
    assert second.reference != number
    assert second.reference.endswith("0002")


def test_a_new_year_starts_at_one(security_lead, monkeypatch):
    from apps.breaches import services

    _create(security_lead)
    monkeypatch.setattr(services.timezone, "now", lambda: datetime(2031, 1, 1, 0, 5, tzinfo=UTC))
    incident = _create(security_lead)
    assert incident.reference == "INC-2031-0001"
    assert ReferenceCounter.objects.get(prefix="INC", year=2031).last_number == 1


def test_creating_an_incident_with_bad_data_takes_no_number(security_lead):
    with pytest.raises(ValidationError):
        _create(security_lead, approx_records=-1)
    assert not BreachIncident.objects.exists()
    assert not ReferenceCounter.objects.filter(prefix="INC").exists()
