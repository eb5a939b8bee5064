"""verify_audit_trail checks the chain in spans, several processes side by side, and reports what
one process walking the whole chain would: the first problem along it, wherever it lies.

The span logic is checked in this process (spans of three, one after another); the processes
side by side through the command in a process of its own, as it runs in production: a test
process, with its live-server threads and connection pool, is not one to fork."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from apps.controllers.models import Controller
from apps.trail import chain
from apps.trail.models import GENESIS_HASH, TrailEntry
from apps.trail.services import trail_seal_pending
from apps.trail.verification import trail_verify
from tests.audit.test_trail import guards_off
from tests.factories import ControllerFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the spans are forked on PostgreSQL only"
    ),
]


def spans(**options):
    """The chain checked in spans of three entries, in this process."""
    return trail_verify(span=3, **options)


def command(*args: str) -> subprocess.CompletedProcess:
    """verify_audit_trail in a process of its own, on the test's (committed) database."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit_trail", *args],
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.test_settings"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def chained():
    controllers = [ControllerFactory(legal_name=f"Span Customer {i} Ltd") for i in range(8)]
    trail_seal_pending()
    assert TrailEntry.objects.count() >= 8
    return controllers


def entry_of(controller) -> TrailEntry:
    row = Controller.history.filter(id=controller.pk).order_by("history_id").first()
    return TrailEntry.objects.get(history_model=row._meta.label_lower, history_id=row.pk)


def alter_history_of(controller, name: str) -> None:
    with transaction.atomic(), guards_off("controllers_historicalcontroller"):
        Controller.history.filter(id=controller.pk).update(legal_name=name)


def test_every_entry_is_checked_once_across_the_spans(chained):
    report = spans()
    assert report.ok, report.problem
    assert report.entries == TrailEntry.objects.count() == trail_verify().entries


def test_processes_side_by_side_check_every_entry_and_name_the_first_problem(chained):
    count = TrailEntry.objects.count()
    intact = command("--jobs=2", "--span=3")
    assert intact.returncode == 0, intact.stderr
    assert f"Audit trail intact: {count} entries chained and matched" in intact.stdout
    first, last = entry_of(chained[1]), entry_of(chained[-1])
    alter_history_of(chained[-1], "Forged Later Ltd")
    alter_history_of(chained[1], "Forged Earlier Ltd")
    broken = command("--jobs=2", "--span=3")
    assert broken.returncode == 1
    assert f"entry #{first.seq} (controllers.historicalcontroller" in broken.stderr
    assert f"entry #{last.seq} " not in broken.stderr
    assert "the history row was altered" in broken.stderr


def test_a_row_altered_in_the_last_span_is_found_and_named(chained):
    victim = chained[-1]
    entry = entry_of(victim)
    assert entry.seq > 3  # beyond the first span
    alter_history_of(victim, "Forged Ltd")
    problem = spans().problem
    assert problem == trail_verify().problem
    assert problem.startswith(f"entry #{entry.seq} (controllers.historicalcontroller")
    assert "the history row was altered" in problem


def test_the_first_problem_along_the_chain_wins_over_later_ones(chained):
    first, last = entry_of(chained[0]), entry_of(chained[-1])
    assert first.seq // 3 != last.seq // 3  # in different spans
    alter_history_of(chained[-1], "Forged Later Ltd")
    alter_history_of(chained[0], "Forged Earlier Ltd")
    problem = spans().problem
    assert problem.startswith(f"entry #{first.seq} ")
    assert problem == trail_verify().problem


def test_an_entry_removed_at_the_end_of_a_span_is_reported(chained):
    with transaction.atomic(), guards_off("trail_trailentry"):
        TrailEntry.objects.filter(seq=3).delete()
    report = spans()
    assert report.problem == "entries #3..#3 were removed"
    assert report.problem == trail_verify().problem
    assert report.entries == 2


def test_a_span_must_start_where_the_one_before_ends(chained):
    # Signed with the real key, so the entry itself is genuine: only its link to entry #3, the
    # last of the span before, shows that it does not follow on.
    entry = TrailEntry.objects.get(seq=4)
    entry.prev_hash = GENESIS_HASH
    entry.row_hash = chain.link_hash(entry)
    with transaction.atomic(), guards_off("trail_trailentry"):
        TrailEntry.objects.filter(pk=entry.pk).update(
            prev_hash=entry.prev_hash, row_hash=entry.row_hash
        )
    problem = spans().problem
    assert problem.startswith("entry #4 ") and "altered or inserted" in problem
    assert problem == trail_verify().problem


def test_inside_a_transaction_the_walk_stays_in_this_process(chained, monkeypatch):
    def no_fork(*args, **kwargs):
        raise AssertionError("forked inside a transaction")

    monkeypatch.setattr("apps.trail.verification.forked_map", no_fork)
    with transaction.atomic():
        ControllerFactory(legal_name="Not committed Ltd")
        trail_seal_pending()
        inside = TrailEntry.objects.count()
        report = trail_verify(jobs=2, span=3)
        transaction.set_rollback(True)
    assert report.ok, report.problem
    assert report.entries == inside > TrailEntry.objects.count()


def test_the_command_refuses_no_processes(chained):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("verify_audit_trail", "--jobs=0")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("verify_audit_trail", "--span=0")
