"""The customer portal's page of one of the organisation's objections to a subprocessor change:
its reason, our answer and, once upheld, what upholding changed (DPA clause 5).

Objections are fetched through `objections_of(controller=request.controller)`, so another
organisation's objection is a 404 (a 403 would say it exists).
"""

from django.shortcuts import get_object_or_404, render

from apps.portal.tenancy import portal_view
from apps.subprocessors.selectors import objections_of


@portal_view
def objection_detail(request, objection_id: int):
    objection = get_object_or_404(objections_of(controller=request.controller), pk=objection_id)
    return render(
        request,
        "portal/objection_detail.html",
        {"objection": objection},
    )
