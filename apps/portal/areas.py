"""Which audit area each portal page belongs to: the one table the portal decorator reads.

An auditor under a customer audit grant (apps.audit.models.AuditGrant) opens only the pages of
the areas granted; any other page answers 404, not 403, like everything else out of scope.
Every URL of the "portal" namespace must appear here (tests/portal/test_areas.py fails on one
that does not); a page missing from the table is closed to auditors under a grant.
Keys are URL names inside the "portal" namespace ("activity_list", or "dsar:list" when nested).
"""

from apps.audit.models import AuditArea

# Pages every grant opens (the overview, the person's own account and session).
ANY_GRANT = "any_grant"
# The confidentiality terms: the one page an auditor sees before accepting them.
TERMS = "terms"
# Pages for the organisation's own people: an auditor under a grant never opens them.
NOT_FOR_AUDITORS = "not_for_auditors"
# Pages outside `portal_view` (signing in, passwords, invitations): no grant is involved.
PUBLIC = "public"

PAGE_AREAS: dict[str, str] = {
    "dashboard": ANY_GRANT,
    "account": ANY_GRANT,
    "switch_controller": ANY_GRANT,
    "password_change": ANY_GRANT,
    "password_change_done": ANY_GRANT,
    "two_factor_setup": ANY_GRANT,
    "two_factor_disable": ANY_GRANT,
    "two_factor_policy": NOT_FOR_AUDITORS,
    "activity_list": AuditArea.PROCESSING_RECORD,
    "activity_detail": AuditArea.PROCESSING_RECORD,
    "subprocessor_list": AuditArea.SUBPROCESSORS,
    "objection_detail": AuditArea.SUBPROCESSORS,
    "member_list": NOT_FOR_AUDITORS,
    "member_invite": NOT_FOR_AUDITORS,
    "member_remove": NOT_FOR_AUDITORS,
    # Data-subject requests.
    "dsar_ticket_list": AuditArea.DSAR,
    "dsar_ticket_detail": AuditArea.DSAR,
    "dsar_ticket_submit": AuditArea.DSAR,
    "dsar_ticket_withdraw": AuditArea.DSAR,
    "dsar_attachment_download": AuditArea.DSAR,
    # Breach incidents.
    "breach_incident_list": AuditArea.BREACHES,
    "breach_incident_detail": AuditArea.BREACHES,
    "breach_incident_acknowledge": AuditArea.BREACHES,
    "breach_incident_report_pdf": AuditArea.BREACHES,
    # The organisation's data: the record as documents is readable
    # under a grant; exports of everything and deletion are for the organisation's own people.
    "data_overview": AuditArea.PROCESSING_RECORD,
    "record_pdf": AuditArea.PROCESSING_RECORD,
    "record_activities_csv": AuditArea.PROCESSING_RECORD,
    "record_subprocessors_csv": AuditArea.SUBPROCESSORS,
    "record_transfers_csv": AuditArea.SUBPROCESSORS,
    "record_security_measures_csv": AuditArea.SECURITY_MEASURES,
    "data_export_request": NOT_FOR_AUDITORS,
    "data_export_download": NOT_FOR_AUDITORS,
    "deletion_request": NOT_FOR_AUDITORS,
    "deletion_cancel": NOT_FOR_AUDITORS,
    # A long job's pages: only the person who started it opens them (apps.jobs.selectors), and
    # only from a page their grant opened.
    "job_detail": ANY_GRANT,
    "job_status": ANY_GRANT,
    "job_retry": ANY_GRANT,
    "job_download": ANY_GRANT,
    # Customer audits.
    "audit_terms": TERMS,
    "audit_history": AuditArea.HISTORY,
    "audit_register_as_of": AuditArea.HISTORY,
    "audit_receipt": AuditArea.HISTORY,
    "audit_grant_list": NOT_FOR_AUDITORS,
    "audit_grant_create": NOT_FOR_AUDITORS,
    "audit_grant_revoke": NOT_FOR_AUDITORS,
    "audit_access_log": NOT_FOR_AUDITORS,
    # The API's tokens and webhooks: the organisation's own business.
    "api_token_list": NOT_FOR_AUDITORS,
    "api_token_create": NOT_FOR_AUDITORS,
    "api_token_revoke": NOT_FOR_AUDITORS,
    "webhook_endpoint_list": NOT_FOR_AUDITORS,
    "webhook_endpoint_create": NOT_FOR_AUDITORS,
    "webhook_endpoint_detail": NOT_FOR_AUDITORS,
    "webhook_endpoint_state": NOT_FOR_AUDITORS,
    "webhook_endpoint_delete": NOT_FOR_AUDITORS,
    "webhook_message_replay": NOT_FOR_AUDITORS,
    # Outside portal_view.
    "login": PUBLIC,
    "login_code": PUBLIC,
    "logout": PUBLIC,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "invitation_accept": PUBLIC,
}


def page_name(request) -> str | None:
    """The URL name of the request inside the "portal" namespace, or None."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.view_name.startswith("portal:"):
        return None
    return match.view_name.removeprefix("portal:")


def page_open_to(grant, name: str | None) -> bool:
    """Whether an auditor under `grant` may open the page named `name` (terms accepted).

    With no grant (the organisation's own people, an auditor membership without one) the audit
    decides nothing and the page's roles do: True. The gate, the menu, the overview's tiles and
    every link to another area ask this one question.
    """
    if grant is None:
        return True
    area = PAGE_AREAS.get(name or "")
    if area in (ANY_GRANT, TERMS):
        return True
    return area in AuditArea.values and area in grant.areas


def page_open(request, name: str) -> bool:
    """`page_open_to` for the grant the request acts under (set by the gate), if any."""
    return page_open_to(getattr(request, "audit_grant", None), name)
