"""Middleware of the portal: the customer-audit access log, written outside the request's
transaction."""

from apps.audit.services import audit_access_record


class AuditAccessLogMiddleware:
    """Writes the access-log line of a page an auditor under a grant tried, once its response is
    known, with its status.

    The audit gate (apps/portal/audit_gate.py) runs inside the view and so inside the request's
    transaction (ATOMIC_REQUESTS), which a refused page (Http404 from the gate or the view) or a
    failing one rolls back: a line written there would vanish with it. Middleware runs outside
    that transaction, so the line commits on its own. If it cannot be written the request fails
    (500) rather than answer a page that left no trace.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        access = getattr(request, "audit_access", None)
        if access is not None:
            audit_access_record(
                grant=access.grant,
                request=request,
                url_name=access.url_name,
                status=response.status_code,
            )
        return response
