"""The customer-audit gate of every portal page, called once by `portal_view`.

For an auditor membership that carries an AuditGrant: no access outside the grant's window or
after revocation (404), the confidentiality terms first (every page redirects to them until they
are accepted), only the pages of the granted areas (404 otherwise), and every page tried logged.
An auditor membership without a grant (read-only, expiring) is left as the portal treats it.

The log line is not written here: the gate runs inside the request's transaction
(ATOMIC_REQUESTS), which a refusal rolls back. It leaves an `AuditAccess` on the request, and
`AuditAccessLogMiddleware` (apps/portal/middleware.py) writes it after the response, outside the
transaction, with the status the page answered: opened, sent to the terms, refused or failed.
"""

from dataclasses import dataclass

from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from apps.audit.models import AuditGrant
from apps.portal.areas import PAGE_AREAS, TERMS, page_name, page_open_to


@dataclass(frozen=True)
class AuditAccess:
    """A page an auditor under `grant` tried, waiting for its response to be logged."""

    grant: AuditGrant
    url_name: str


def audit_gate(request, membership):
    """None to go on to the page, or the response to send instead; raises Http404."""
    request.audit_grant = None
    if membership.role != membership.Role.AUDITOR:
        return None
    grant = AuditGrant.objects.filter(membership=membership).first()
    if grant is None:
        return None
    request.audit_grant = grant
    name = page_name(request)
    # Whatever the answer below or the view's, the page was tried under the grant.
    request.audit_access = AuditAccess(grant=grant, url_name=name or "")
    if not grant.is_active():
        # Revoked, not started yet or over: nothing shows, as for an expired membership.
        raise Http404("No current audit.")
    if grant.terms_accepted_at is None and PAGE_AREAS.get(name or "") != TERMS:
        return HttpResponseRedirect(reverse("portal:audit_terms"))
    if not page_open_to(grant, name):
        raise Http404("Outside the audit's areas.")
    return None
