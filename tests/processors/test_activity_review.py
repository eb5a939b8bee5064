import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.processors.models import ProcessingActivity
from apps.processors.services import processing_activity_transition
from tests.factories import ProcessingActivityFactory

pytestmark = pytest.mark.django_db


def test_approval_records_who_and_when(officer):
    activity = ProcessingActivityFactory(status="in_review")
    processing_activity_transition(activity=activity, to="approved", by=officer)
    activity.refresh_from_db()
    assert activity.status == "approved"
    assert activity.approved_by == officer and activity.approved_at is not None
    latest = activity.history.latest()
    assert latest.history_user == officer
    assert latest.history_change_reason == "processors.activity.approved"


def test_draft_cannot_jump_to_approved(officer):
    activity = ProcessingActivityFactory(status="draft")
    with pytest.raises(ValidationError, match="cannot go from draft to approved"):
        processing_activity_transition(activity=activity, to="approved", by=officer)
    activity.refresh_from_db()
    assert activity.status == "draft"


def test_listed_activity_without_controllers_cannot_be_approved(officer):
    activity = ProcessingActivityFactory(status="in_review", covers_all_controllers=False)
    with pytest.raises(ValidationError, match="lists none"):
        processing_activity_transition(activity=activity, to="approved", by=officer)


def test_admin_action_shows_refusal_as_message(officer_client):
    activity = ProcessingActivityFactory(status="draft", name="Routing")
    response = officer_client.post(
        reverse("admin:processors_processingactivity_changelist"),
        {"action": "mark_approved", "_selected_action": [activity.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "“Routing” cannot go from draft to approved." in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == ProcessingActivity.Status.DRAFT
