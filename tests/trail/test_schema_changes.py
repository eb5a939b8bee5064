"""A column added to a tracked model leaves the rows sealed before it verifying."""

import hashlib

import pytest

from apps.controllers.models import Controller
from apps.core.history import canonical_json, history_models, plain_value
from apps.trail import chain
from apps.trail.services import trail_seal_pending
from tests.audit.test_trail import verify
from tests.factories import ControllerFactory

LABEL = "controllers.historicalcontroller"


def hash_without(row, name) -> str:
    """The content hash the chain gave this row when the column `name` did not exist: its
    columns of the time (the others, added since, are empty on this row)."""
    then = chain.HASHED_FIELDS[LABEL] - {name}
    content = {
        "model": LABEL,
        "row": {
            f.attname: plain_value(f.value_from_object(row))
            for f in row._meta.concrete_fields
            if f.attname in then
        },
        "m2m": {},
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


@pytest.fixture
def contact_name_added_later(monkeypatch):
    """As if `contact_name` had been added to controllers after the keyed chain began."""
    hashed = dict(chain.HASHED_FIELDS)
    hashed[LABEL] = hashed[LABEL] - {"contact_name"}
    monkeypatch.setattr(chain, "HASHED_FIELDS", hashed)


def test_an_empty_added_column_hashes_as_if_it_did_not_exist(db, contact_name_added_later):
    controller = ControllerFactory(contact_name="")
    row = Controller.history.get(id=controller.pk)
    assert chain.content_hash(row, {}) == hash_without(row, "contact_name")


def test_a_value_in_an_added_column_is_vouched_for(db, contact_name_added_later):
    controller = ControllerFactory(contact_name="Ada Example")
    row = Controller.history.get(id=controller.pk)
    assert chain.content_hash(row, {}) != hash_without(row, "contact_name")
    trail_seal_pending()
    verify()


def test_every_column_added_since_the_chain_began_can_be_left_out_when_empty():
    """A column added to a model the chain already sealed must be nullable, blank or have a
    constant default, so the rows sealed before it keep their hashes."""
    late = []
    for model in history_models():
        label = model._meta.label_lower
        if label not in chain.HASHED_FIELDS:
            continue  # a model new since then: none of its rows were sealed before
        for f in model._meta.concrete_fields:
            if f.attname in chain.HASHED_FIELDS[label]:
                continue
            if not (f.null or f.blank or (f.has_default() and not callable(f.default))):
                late.append(f"{label}.{f.attname}")
    assert late == []
