"""Which organisation a request acts for, resolved in one place, as the portal's tenancy does.

Every path names the organisation (`/organisations/{organisation_id}/...`) and every endpoint
resolves it here first; each record is then fetched through a queryset scoped to that
organisation. An organisation token reaches its own organisation only: any other id is a 404,
as is any record of another organisation under its own id (a 403 would confirm that it
exists). A staff member's personal token reaches every organisation, with the permissions of
the member's role, checked on every call.
"""

from dataclasses import dataclass

from django.http import HttpRequest

from apps.api.auth import caller
from apps.api.problems import Problem
from apps.controllers.models import Controller
from apps.integrations.models import ApiToken


@dataclass(frozen=True)
class Area:
    """What part of an organisation's records an endpoint touches, and what a staff member's
    role must allow to read it."""

    name: str
    staff_read: str


ORGANISATION = Area("organisation", "controllers.view_controller")
REQUESTS = Area("requests", "dsar.view_dsarticket")
BREACHES = Area("breaches", "breaches.view_breachincident")
SUBPROCESSORS = Area("subprocessors", "subprocessors.view_subprocessor")
RECORD = Area("record", "processors.view_processingactivity")
HISTORY = Area("history", "trail.view_trailentry")


def _refuse(detail: str) -> Problem:
    return Problem(status=403, detail=detail)


def organisation_for(
    request: HttpRequest,
    organisation_id: int,
    *,
    area: Area,
    staff_write: str | None = None,
    writes: bool = False,
) -> Controller:
    """The organisation the request acts for, or a problem: 404 outside the token's reach, 403
    for a write with a read-only token or a role that does not allow it."""
    token = caller(request)
    writes = writes or staff_write is not None
    if token.controller_id is not None:
        if token.controller_id != organisation_id:
            raise Problem(status=404, detail="No organisation of that id is reachable.")
        controller = token.controller
        assert controller is not None
        if area is HISTORY and not token.includes_history:
            raise _refuse("This token does not include the change history.")
    else:
        user = token.user
        if not user.has_perm(area.staff_read) or (
            staff_write is not None and not user.has_perm(staff_write)
        ):
            raise _refuse("Your role does not allow this.")
        found = Controller.objects.filter(pk=organisation_id).first()
        if found is None:
            raise Problem(status=404, detail="No organisation of that id is reachable.")
        controller = found
    if writes and not token.can_write:
        raise _refuse("This token only reads; an admin can create a read-and-write token.")
    return controller


def organisation_token_only(token: ApiToken, what: str) -> None:
    """Some acts are the organisation's own (acknowledging our notice): staff may not do them."""
    if token.controller_id is None:
        raise _refuse(f"{what} is the organisation's own act: use one of its tokens.")
