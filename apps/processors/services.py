from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.processors.models import ProcessingActivity

Status = ProcessingActivity.Status

# The review cycle of a record entry: draft → in review → approved → (re-review or retire).
ACTIVITY_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.IN_REVIEW, Status.RETIRED},
    Status.IN_REVIEW: {Status.DRAFT, Status.APPROVED, Status.RETIRED},
    Status.APPROVED: {Status.IN_REVIEW, Status.RETIRED},
    Status.RETIRED: {Status.DRAFT},
}


@transaction.atomic
def processing_activity_transition(*, activity: ProcessingActivity, to: str, by) -> None:
    """Move an activity through its review cycle; approval records who approved it and when."""
    if to not in ACTIVITY_TRANSITIONS.get(activity.status, set()):
        raise ValidationError(
            f"“{activity}” cannot go from {activity.get_status_display().lower()} to "
            f"{Status(to).label.lower()}."
        )
    if to == Status.APPROVED:
        if not activity.covers_all_controllers and not activity.controllers.exists():
            raise ValidationError(
                f"“{activity}” covers listed controllers but lists none; list them first."
            )
        activity.approved_by = by
        activity.approved_at = timezone.now()
    elif to in (Status.DRAFT, Status.IN_REVIEW):
        activity.approved_by = None
        activity.approved_at = None
    activity.status = to
    activity._history_user = by
    activity._change_reason = f"processors.activity.{to}"
    activity.save()
