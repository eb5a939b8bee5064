import pytest

from tests.factories import BreachIncidentFactory, ControllerFactory, ProcessorFactory


@pytest.fixture
def processor(db):
    return ProcessorFactory(name="Calljmp LLC")


@pytest.fixture
def acme(db):
    return ControllerFactory(
        legal_name="Acme Fitness Ltd",
        contact_email="privacy@acme.test",
        dpo_email="dpo@acme.test",
    )


@pytest.fixture
def birch(db):
    return ControllerFactory(
        legal_name="Birch Health GmbH",
        contact_email="privacy@birch.test",
        dpo_email="dpo@birch.test",
    )


@pytest.fixture
def incident(db, security_lead, acme, birch):
    return BreachIncidentFactory(owner=security_lead, affected_controllers=[acme, birch])
