"""The signed receipt of the audit trail's head, for a customer's own records."""

import json

from django.http import HttpResponse
from django.utils import timezone

from apps.controllers.models import Membership
from apps.portal.tenancy import portal_view
from apps.trail.checkpoints import trail_receipt

# The organisation's admins, and auditors (under a grant only with the change-history area).
RECEIPT_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.AUDITOR})


@portal_view(roles=RECEIPT_ROLES)
def audit_receipt(request):
    """A JSON statement, signed with the trail's key, that the chain ended at entry `seq` with
    `row_hash` now. Kept by the customer, it lets them hold us to the history before it."""
    receipt = trail_receipt(
        controller_id=request.controller.pk, controller_name=request.controller.legal_name
    )
    response = HttpResponse(
        json.dumps(receipt, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-receipt-{stamp}.json"'
    response["Cache-Control"] = "private, no-store"
    return response
