"""The sealer chains every waiting mark in as few transactions as it can."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.trail.models import TrailEntry, TrailMark
from apps.trail.services import trail_seal_pending
from tests.factories import ControllerFactory
from tests.trail.test_attacks import verify_ok

pytestmark = pytest.mark.django_db


def test_a_batch_that_was_not_full_ends_the_seal():
    ControllerFactory()
    waiting = TrailMark.objects.count()
    assert waiting >= 1
    with CaptureQueriesContext(connection) as queries:
        assert trail_seal_pending() == waiting
    # One batch: no second round to find that nothing is left.
    assert sum("pg_advisory_xact_lock" in q["sql"] for q in queries.captured_queries) <= 1
    assert not TrailMark.objects.exists()
    verify_ok()


def test_full_batches_go_on_until_every_mark_is_chained():
    ControllerFactory.create_batch(3)
    waiting = TrailMark.objects.count()
    assert trail_seal_pending(batch_size=2) == waiting
    assert not TrailMark.objects.exists()
    assert TrailEntry.objects.count() >= waiting
    verify_ok()
