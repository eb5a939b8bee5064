"""The trail attacked as someone holding the database and the code, but not the deployment's
secrets (AUDIT_CHAIN_KEY and the checkpoint store), would attack it."""

import json
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from apps.controllers.models import Controller
from apps.trail import chain
from apps.trail.checkpoints import (
    newest_checkpoint,
    trail_checkpoint_write,
    trail_receipt,
    trail_receipt_is_genuine,
)
from apps.trail.models import TrailEntry, TrailMark
from apps.trail.services import trail_seal_pending
from tests.audit.test_trail import guards_off
from tests.factories import ControllerFactory

HISTORY_TABLE = "controllers_historicalcontroller"
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the lock and the guards exist only on PostgreSQL"
)


def verify_problem() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_trail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return str(failure.value)


def verify_ok():
    call_command("verify_audit_trail", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def trail(db):
    """Three controllers, their history chained."""
    controllers = [ControllerFactory(legal_name=f"Customer {i} Ltd") for i in range(3)]
    trail_seal_pending()
    return controllers


def attacker_rechains(settings, entries):
    """Recompute every link after a change, with the code, under a key the attacker chose."""
    real = settings.AUDIT_CHAIN_KEYS
    settings.AUDIT_CHAIN_KEYS = dict.fromkeys(real, "a-key-the-attacker-guessed")
    prev = "0" * 64
    for entry in entries:
        entry.prev_hash = prev
        entry.row_hash = chain.link_hash(entry)
        prev = entry.row_hash
    with guards_off("trail_trailentry"):
        TrailEntry.objects.bulk_update(entries, ["prev_hash", "row_hash", "content_hash"])
    settings.AUDIT_CHAIN_KEYS = real


def test_an_untouched_trail_verifies(trail):
    verify_ok()


def test_editing_a_row_and_rechaining_without_the_key_is_found(trail, settings):
    victim = trail[1]
    with guards_off(HISTORY_TABLE):
        Controller.history.filter(id=victim.pk).update(legal_name="Forged Ltd")
    entries = list(TrailEntry.objects.order_by("seq"))
    row = Controller.history.get(id=victim.pk)
    forged = next(e for e in entries if e.history_id == row.pk)
    forged.content_hash = chain.content_hash(row, {})
    attacker_rechains(settings, entries)
    assert "altered or inserted" in verify_problem()


@pytest.mark.parametrize(
    "field, value",
    [
        ("user_repr", "someone.else@calljmp.example"),
        ("change_reason", "nothing.to.see"),
        ("door", "portal"),
        ("object_repr", "Another name"),
    ],
)
def test_rewriting_who_why_or_through_which_door_is_found(trail, field, value):
    with guards_off("trail_trailentry"):
        TrailEntry.objects.filter(seq=2).update(**{field: value})
    assert "#2" in verify_problem()


def test_rewriting_when_is_found(trail):
    entry = TrailEntry.objects.get(seq=2)
    with guards_off("trail_trailentry"):
        TrailEntry.objects.filter(pk=entry.pk).update(
            history_date=entry.history_date.replace(year=2020)
        )
    assert "#2" in verify_problem()


def test_an_entry_appended_for_a_forged_row_without_the_key_is_found(trail, settings):
    row = Controller.history.filter(id=trail[0].pk).first()
    row.pk = None
    row.legal_name = "Inserted Ltd"
    row.save()
    last = TrailEntry.objects.order_by("-seq").first()
    forged = TrailEntry(
        seq=last.seq + 1,
        prev_hash=last.row_hash,
        key_id=last.key_id,
        **{name: getattr(last, name) for name in TrailEntry.SEALED_FIELDS},
    )
    forged.history_id = row.pk
    forged.content_hash = chain.content_hash(row, {})
    settings_keys = settings.AUDIT_CHAIN_KEYS
    settings.AUDIT_CHAIN_KEYS = dict.fromkeys(settings_keys, "a-key-the-attacker-guessed")
    forged.row_hash = chain.link_hash(forged)
    settings.AUDIT_CHAIN_KEYS = settings_keys
    forged.save()
    assert "altered or inserted" in verify_problem()


def test_a_row_inserted_with_sql_is_never_chained_by_the_seal_command(trail):
    # A plain INSERT into the history table, as SQL would do it: no signal, so no mark.
    row = Controller.history.order_by("history_id").first()
    row.pk = None
    row.legal_name = "Smuggled Ltd"
    row.save()
    assert not TrailMark.objects.filter(history_id=row.pk).exists()
    before = TrailEntry.objects.count()
    call_command("seal_audit_trail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with pytest.raises(CommandError, match="already exists"):
        call_command("seal_audit_trail", "--preexisting", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert TrailEntry.objects.count() == before
    assert "inserted out of band" in verify_problem()


def test_a_forged_mark_is_never_chained(trail):
    row = Controller.history.order_by("history_id").first()
    row.pk = None
    row.legal_name = "Marked Ltd"
    row.save()
    # The attacker writes a mark for the smuggled row, but cannot compute its MAC.
    template = TrailMark(
        **{name: getattr(TrailEntry.objects.get(seq=1), name) for name in TrailMark.SEALED_FIELDS}
    )
    template.history_id = row.pk
    template.content_hash = chain.content_hash(row, {})
    template.key_id = "k1"
    template.mark = "0" * 64
    template.save()
    before = TrailEntry.objects.count()
    trail_seal_pending()
    assert TrailEntry.objects.count() == before
    assert "mark the application did not write" in verify_problem()


def test_removing_the_newest_entries_is_found_by_the_checkpoint(trail):
    checkpoint = trail_checkpoint_write()
    assert checkpoint.seq == 3
    with guards_off("trail_trailentry"):
        TrailEntry.objects.filter(seq=3).delete()
    with guards_off(HISTORY_TABLE):
        Controller.history.filter(id=trail[2].pk).delete()
    assert "recorded #3" in verify_problem()


def test_emptying_every_history_table_and_the_trail_is_found(trail):
    trail_checkpoint_write()
    tables = ["trail_trailentry", HISTORY_TABLE]
    with guards_off(*tables):
        TrailEntry.objects.all().delete()
        Controller.history.all().delete()
    assert "trail ends at entry #0" in verify_problem()
    with pytest.raises(CommandError, match="emptied|already exists"):
        call_command("seal_audit_trail", "--preexisting", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_a_rechained_trail_differs_from_the_checkpoint(trail, settings):
    trail_checkpoint_write()
    entries = list(TrailEntry.objects.order_by("seq"))
    attacker_rechains(settings, entries)
    problem = verify_problem()
    assert "altered or inserted" in problem or "rewritten" in problem


def test_a_forged_checkpoint_is_reported(trail, settings):
    checkpoint = trail_checkpoint_write()
    real = settings.AUDIT_CHAIN_KEYS
    settings.AUDIT_CHAIN_KEYS = dict.fromkeys(real, "a-key-the-attacker-guessed")
    trail_checkpoint_write()  # signed with the wrong key, and newer
    settings.AUDIT_CHAIN_KEYS = real
    assert "not signed with a chain key" in verify_problem()
    assert checkpoint.seq == 3


def test_an_old_key_still_verifies_after_rotation(trail, settings):
    old_id = settings.AUDIT_CHAIN_KEY_ID
    old_secret = settings.AUDIT_CHAIN_KEYS[old_id]
    settings.AUDIT_CHAIN_KEY_ID = "k2"
    settings.AUDIT_CHAIN_KEYS = {old_id: old_secret, "k2": "the-new-chain-key-" + "z" * 30}
    ControllerFactory()
    trail_seal_pending()
    assert TrailEntry.objects.order_by("-seq").first().key_id == "k2"
    verify_ok()
    settings.AUDIT_CHAIN_KEYS = {"k2": "the-new-chain-key-" + "z" * 30}
    assert "#1" in verify_problem()


def test_a_receipt_is_signed_and_names_only_its_customer(trail):
    receipt = trail_receipt(controller_id=trail[0].pk, controller_name=trail[0].legal_name)
    assert receipt["seq"] == 3 and trail_receipt_is_genuine(receipt)
    assert "Customer 1" not in str(receipt) and "Customer 2" not in str(receipt)
    forged = {**receipt, "seq": 99}
    assert not trail_receipt_is_genuine(forged)


def test_the_checkpoint_command_writes_a_signed_head(trail, capsys):
    call_command("checkpoint_audit_trail")
    assert "entry #3" in capsys.readouterr().out
    assert newest_checkpoint().seq == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_long_transaction_on_one_customer_does_not_hold_another_customers_change():
    slow_customer = ControllerFactory(legal_name="Slow Ltd")
    quick_customer = ControllerFactory(legal_name="Quick Ltd")
    holding, release = threading.Event(), threading.Event()

    def long_transaction():
        try:
            with transaction.atomic():
                slow = Controller.objects.get(pk=slow_customer.pk)
                slow.contact_name = "Edited slowly"
                slow.save()  # its history row is written now, inside this transaction
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=long_transaction)
    worker.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with transaction.atomic():
            quick = Controller.objects.get(pk=quick_customer.pk)
            quick.contact_name = "Edited quickly"
            quick.save()
        took = time.monotonic() - started
    finally:
        release.set()
        worker.join(15)
    assert took < 2, f"the change waited {took:.1f} s for another customer's transaction"
    trail_seal_pending()
    assert TrailEntry.objects.filter(object_id=str(quick_customer.pk), history_type="~").exists()
    assert TrailEntry.objects.filter(object_id=str(slow_customer.pk), history_type="~").exists()
    verify_ok()


def test_a_customer_admin_downloads_a_receipt_of_their_own(client, db):
    from apps.controllers.models import Membership
    from tests.factories import MembershipFactory

    membership = MembershipFactory(role=Membership.Role.ADMIN)
    other = ControllerFactory(legal_name="Somebody Else Ltd")
    trail_seal_pending()
    client.force_login(membership.user)
    response = client.get("/portal/audits/receipt/")
    assert response.status_code == 200
    receipt = json.loads(response.content)
    assert receipt["issued_to"]["controller_id"] == membership.controller_id
    assert trail_receipt_is_genuine(receipt)
    assert other.legal_name not in response.content.decode()


def test_a_member_cannot_download_the_receipt(client, db):
    from apps.controllers.models import Membership
    from tests.factories import MembershipFactory

    membership = MembershipFactory(role=Membership.Role.MEMBER)
    client.force_login(membership.user)
    assert client.get("/portal/audits/receipt/").status_code in (403, 404)


def test_verify_says_which_checkpoint_it_checked_against(trail, capsys):
    call_command("verify_audit_trail")
    assert "No checkpoint yet" in capsys.readouterr().out
    trail_checkpoint_write()
    call_command("verify_audit_trail")
    assert "(entry #3)" in capsys.readouterr().out
