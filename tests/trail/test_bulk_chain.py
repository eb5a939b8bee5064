"""History rows a loader writes itself (seed_scale, with COPY) are chained exactly as the sealer
would have chained them: the same fields, the same hashes, the chain unbroken around them."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from apps.controllers.models import Controller
from apps.core.history import history_models
from apps.demo.management.commands.seed_scale import HistoryTable, Table
from apps.trail.models import SealedRow, TrailEntry, TrailMark
from apps.trail.services import (
    TrailStoredDiffers,
    trail_chain_loaded,
    trail_mark_rows,
    trail_seal_pending,
)
from tests.factories import ControllerFactory
from tests.trail.test_attacks import verify_ok, verify_problem


def loaded_controller(name: str) -> tuple[Controller, object]:
    """A controller and its history row written as seed_scale writes them: COPY, no signal."""
    table, history = Table(Controller), HistoryTable(Controller)
    controller = Controller(
        id=table.take_id(),
        legal_name=name,
        address="1 Loader Lane",
        country="DE",
        contact_name="Lou Loader",
        contact_email="lou@loader.example",
        dpa_version="2026-01",
    )
    controller.created_at = controller.updated_at = timezone.now()
    table.add_object(controller)
    row = history.record(
        controller, at=controller.created_at, by=None, kind="+", reason="seed_scale"
    )
    table.write(*table.take_rows())
    history.write(*history.take_rows())
    return controller, row


@pytest.mark.django_db(transaction=True)
def test_seed_scale_chains_each_row_as_the_sealer_would():
    call_command(
        "seed_scale",
        "--controllers=3",
        "--tickets=25",
        "--incidents=2",
        "--notices-per-incident=2",
        # One loader, in the test's process: the side-by-side loaders fork, which the test
        # process (its connection pool, the live server's threads) does not survive reliably.
        "--jobs=1",
        stdout=io.StringIO(),
    )
    verify_ok()
    loaded = TrailEntry.objects.filter(door="command").exclude(change_reason="seed_demo")
    by_model = {}
    for entry in loaded:
        by_model.setdefault(entry.history_model, {})[entry.history_id] = entry
    # Controllers, users, memberships, tickets, timelines, messages, incidents and notices.
    assert len(by_model) >= 8, sorted(by_model)
    models = {m._meta.label_lower: m for m in history_models()}
    with transaction.atomic():
        # The normal path for the same rows: the application's marks, which the sealer copies
        # field for field into the entries it chains.
        for label, entries in by_model.items():
            trail_mark_rows(history_model=models[label], ids=list(entries))
        marks = list(TrailMark.objects.all())
        assert len(marks) == loaded.count()
        for mark in marks:
            entry = by_model[mark.history_model][mark.history_id]
            for name in SealedRow.SEALED_FIELDS:
                assert getattr(entry, name) == getattr(mark, name), (mark.history_model, name)
        transaction.set_rollback(True)
    # The incidents' history rows carry their affected controllers, hashed with the row.
    incident = TrailEntry.objects.filter(
        history_model="breaches.historicalbreachincident",
        change_reason="breaches.incident.controllers_confirmed",
    ).first()
    assert incident is not None


@pytest.mark.django_db(transaction=True)
def test_loaded_rows_continue_the_chain_and_the_sealer_continues_after_them():
    ControllerFactory(legal_name="Before Ltd")
    trail_seal_pending()
    head = TrailEntry.objects.order_by("-seq").first()
    with transaction.atomic():
        _, row = loaded_controller("Loaded Ltd")
        assert trail_chain_loaded(rows=[(row, "Loaded Ltd")]) == 1
    ControllerFactory(legal_name="After Ltd")
    trail_seal_pending()
    entries = list(TrailEntry.objects.filter(seq__gt=head.seq).order_by("seq"))
    assert [e.object_repr for e in entries] == ["Loaded Ltd", "After Ltd"]
    assert entries[0].prev_hash == head.row_hash
    assert entries[0].door == "command" and entries[0].change_reason == "seed_scale"
    assert not TrailMark.objects.exists()  # the loaded row never needed a mark
    verify_ok()


@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_stored_otherwise_stops_the_load_and_chains_nothing():
    before = TrailEntry.objects.count()
    with pytest.raises(TrailStoredDiffers), transaction.atomic():
        _, row = loaded_controller("Stored Ltd")
        row.legal_name = "Not what was stored Ltd"
        trail_chain_loaded(rows=[(row, "Stored Ltd")])
    assert TrailEntry.objects.count() == before
    assert not Controller.objects.filter(legal_name="Stored Ltd").exists()


@pytest.mark.django_db(transaction=True)
def test_a_loaded_row_left_unchained_is_reported():
    with transaction.atomic():
        loaded_controller("Orphan Ltd")
    assert "inserted out of band" in verify_problem()


@pytest.mark.django_db(transaction=True)
def test_chaining_loaded_rows_needs_the_transaction_that_wrote_them():
    with pytest.raises(TransactionManagementError):
        trail_chain_loaded(rows=[])
