"""The workflow helper (apps.core.workflow) and the tables built on it."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.workflow import Workflow
from apps.processors.models import ProcessingActivity
from apps.subprocessors.models import Objection, SubprocessorChange
from apps.subprocessors.services import (
    CHANGE_WORKFLOW,
    OBJECTION_WORKFLOW,
    objection_resolve,
    subprocessor_change_cancel,
    subprocessor_changes_apply,
)
from tests.factories import ObjectionFactory, ProcessingActivityFactory, SubprocessorChangeFactory

pytestmark = pytest.mark.django_db

Status = ProcessingActivity.Status

# A table of its own, so that these tests hold whatever the processors app allows.
REVIEW = Workflow(
    ProcessingActivity,
    {
        Status.DRAFT: {Status.IN_REVIEW},
        Status.IN_REVIEW: {Status.DRAFT},
        Status.APPROVED: set(),
        Status.RETIRED: set(),
    },
)


def test_an_allowed_move_saves_and_writes_a_history_row_with_who_and_why(officer):
    activity = ProcessingActivityFactory(status=Status.DRAFT)
    rows = activity.history.count()
    review_on = date(2030, 1, 31)

    REVIEW.move(
        activity,
        Status.IN_REVIEW,
        by=officer,
        reason="tests.activity.in_review",
        changes={"next_review_on": review_on},
    )

    activity.refresh_from_db()
    assert (activity.status, activity.next_review_on) == (Status.IN_REVIEW, review_on)
    assert activity.history.count() == rows + 1
    latest = activity.history.latest()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        Status.IN_REVIEW,
        officer,
        "tests.activity.in_review",
    )


def test_a_refused_move_raises_the_one_wording_and_writes_nothing(officer):
    activity = ProcessingActivityFactory(status=Status.DRAFT)
    rows = activity.history.count()

    with pytest.raises(ValidationError) as refused:
        REVIEW.move(activity, Status.RETIRED, by=officer, reason="tests.activity.retired")

    assert refused.value.messages == ["This processing activity cannot go from draft to retired."]
    activity.refresh_from_db()
    assert activity.status == Status.DRAFT
    assert activity.history.count() == rows


def test_check_refuses_without_a_query_and_names_the_object_as_told():
    named = Workflow(ProcessingActivity, REVIEW.moves, name=lambda a: f"“{a.name}”")
    activity = ProcessingActivityFactory.build(name="Routing", status=Status.APPROVED)
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as refused:
        named.check(activity, Status.DRAFT)
    assert refused.value.messages == ["“Routing” cannot go from approved to draft."]
    assert len(queries) == 0


def test_the_move_rereads_the_status_under_the_row_lock(officer):
    activity = ProcessingActivityFactory(status=Status.DRAFT)
    stale = ProcessingActivity.objects.get(pk=activity.pk)
    REVIEW.move(activity, Status.IN_REVIEW, by=officer, reason="tests.activity.in_review")
    rows = activity.history.count()

    # In memory the stale copy is still a draft, from which in review is allowed; the row says
    # in review already, from which it is not.
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as refused:
        REVIEW.move(stale, Status.IN_REVIEW, by=officer, reason="tests.activity.in_review")

    assert refused.value.messages == ["This processing activity is already in review."]
    table = ProcessingActivity._meta.db_table
    assert any(table in q["sql"] and q["sql"].rstrip().endswith("FOR UPDATE") for q in queries), [
        q["sql"] for q in queries
    ]
    assert activity.history.count() == rows


def test_allowed_and_can_move_read_the_table():
    activity = ProcessingActivityFactory.build(status=Status.DRAFT)
    assert REVIEW.allowed(activity) == {Status.IN_REVIEW}
    assert REVIEW.can_move(Status.IN_REVIEW, Status.DRAFT)
    assert not REVIEW.can_move(Status.APPROVED, Status.DRAFT)
    assert not REVIEW.can_move("no such status", Status.DRAFT)


def test_a_table_that_forgets_a_status_or_names_an_unknown_one_does_not_load():
    with pytest.raises(ImproperlyConfigured, match="missing"):
        Workflow(ProcessingActivity, {Status.DRAFT: {Status.IN_REVIEW}, Status.IN_REVIEW: set()})
    with pytest.raises(ImproperlyConfigured, match="unknown"):
        Workflow(ProcessingActivity, {**REVIEW.moves, Status.RETIRED: {"archived"}})


# --- the tables that are new with the helper ---------------------------------------------------


def test_a_subprocessor_change_move_outside_the_table_is_refused(officer):
    change = SubprocessorChangeFactory()
    subprocessor_change_cancel(change=change, by=officer)
    change.refresh_from_db()
    rows = change.history.count()

    with pytest.raises(ValidationError) as refused:
        subprocessor_change_cancel(change=change, by=officer)
    assert refused.value.messages == [f"“{change}” is already cancelled."]
    with pytest.raises(ValidationError, match="cannot go from cancelled to in effect"):
        CHANGE_WORKFLOW.move(
            change, SubprocessorChange.Status.EFFECTIVE, by=officer, reason="tests.effective"
        )

    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.CANCELLED
    assert change.history.count() == rows


def test_an_objection_move_outside_the_table_is_refused(officer):
    objection = ObjectionFactory()
    objection_resolve(objection=objection, status="withdrawn", resolution="", by=officer)
    objection.refresh_from_db()
    rows = objection.history.count()

    with pytest.raises(ValidationError) as refused:
        objection_resolve(objection=objection, status="upheld", resolution="Kept", by=officer)
    assert refused.value.messages == ["This objection cannot go from withdrawn to upheld."]
    with pytest.raises(ValidationError, match="cannot go from withdrawn to open"):
        OBJECTION_WORKFLOW.move(objection, Objection.Status.OPEN, by=officer, reason="tests.open")

    objection.refresh_from_db()
    assert objection.status == Objection.Status.WITHDRAWN
    assert objection.history.count() == rows


def test_the_apply_command_moves_a_due_change_through_the_table():
    change = SubprocessorChangeFactory(announced_at=timezone.now() - timedelta(days=40))
    assert subprocessor_changes_apply() == [change]
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.EFFECTIVE
    assert change.history.latest().history_change_reason == "subprocessors.change.effective"
