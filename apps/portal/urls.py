"""Every page of the customer portal, by area, in the "portal" namespace.

Each URL name is in apps/portal/areas.py, which says which audit area the page belongs to.
"""

from django.urls import path

from apps.portal.views import (
    audits,
    data,
    home,
    incidents,
    integrations,
    jobs,
    objections,
    receipts,
    requests,
    signin,
)

app_name = "portal"

# The record of processing as tables, one CSV each.
RECORD_TABLES = ("activities", "subprocessors", "transfers", "security_measures")

urlpatterns = [
    # The organisation, its record, its subprocessors and its people.
    path("", home.dashboard, name="dashboard"),
    path("records/", home.activity_list, name="activity_list"),
    path("records/<int:activity_id>/", home.activity_detail, name="activity_detail"),
    path("subprocessors/", home.subprocessor_list, name="subprocessor_list"),
    path(
        "subprocessors/objections/<int:objection_id>/",
        objections.objection_detail,
        name="objection_detail",
    ),
    path("members/", home.member_list, name="member_list"),
    path("members/invite/", home.member_invite, name="member_invite"),
    path("members/<int:membership_id>/remove/", home.member_remove, name="member_remove"),
    path("account/", home.account, name="account"),
    path("switch/<int:controller_id>/", home.switch_controller, name="switch_controller"),
    # Data-subject requests.
    path("requests/", requests.ticket_list, name="dsar_ticket_list"),
    path("requests/new/", requests.ticket_submit, name="dsar_ticket_submit"),
    path("requests/<str:ticket_reference>/", requests.ticket_detail, name="dsar_ticket_detail"),
    path(
        "requests/<str:ticket_reference>/withdraw/",
        requests.ticket_withdraw,
        name="dsar_ticket_withdraw",
    ),
    path(
        "requests/<str:ticket_reference>/files/<int:attachment_id>/",
        requests.attachment_download,
        name="dsar_attachment_download",
    ),
    # Breach incidents.
    path("incidents/", incidents.incident_list, name="breach_incident_list"),
    path("incidents/<int:incident_id>/", incidents.incident_detail, name="breach_incident_detail"),
    path(
        "incidents/<int:incident_id>/acknowledge/",
        incidents.incident_acknowledge,
        name="breach_incident_acknowledge",
    ),
    path(
        "incidents/<int:incident_id>/report.pdf",
        incidents.incident_report_pdf,
        name="breach_incident_report_pdf",
    ),
    # Deletion and return: record downloads, data exports, deletion requests.
    path("data/", data.data_overview, name="data_overview"),
    path("data/<int:controller_id>/record.pdf", data.record_pdf, name="record_pdf"),
    *(
        path(
            f"data/<int:controller_id>/record-{table.replace('_', '-')}.csv",
            data.record_table_csv,
            {"table": table},
            name=f"record_{table}_csv",
        )
        for table in RECORD_TABLES
    ),
    path("data/export/", data.data_export_request, name="data_export_request"),
    path(
        "data/exports/<int:export_id>/download/",
        data.data_export_download,
        name="data_export_download",
    ),
    path("data/deletion/", data.deletion_request, name="deletion_request"),
    path("data/deletion/<int:deletion_id>/cancel/", data.deletion_cancel, name="deletion_cancel"),
    # Long jobs a customer user started (an export, a PDF): state, progress, result, retry.
    path("jobs/<int:job_id>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/status/", jobs.job_status_json, name="job_status"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry_view, name="job_retry"),
    path("jobs/<int:job_id>/download/", jobs.job_download, name="job_download"),
    # Customer audits.
    path("audits/terms/", audits.audit_terms, name="audit_terms"),
    path("audits/", audits.audit_grant_list, name="audit_grant_list"),
    path("audits/new/", audits.audit_grant_create, name="audit_grant_create"),
    path("audits/<int:grant_id>/revoke/", audits.audit_grant_revoke, name="audit_grant_revoke"),
    path("audits/access-log/", audits.audit_access_log, name="audit_access_log"),
    path("audits/history/", audits.audit_history, name="audit_history"),
    path("audits/register-as-of/", audits.audit_register_as_of, name="audit_register_as_of"),
    path("audits/receipt/", receipts.audit_receipt, name="audit_receipt"),
    # The API: tokens and webhook endpoints, for the organisation's admins.
    path("api/tokens/", integrations.api_token_list, name="api_token_list"),
    path("api/tokens/new/", integrations.api_token_create, name="api_token_create"),
    path(
        "api/tokens/<int:token_id>/revoke/",
        integrations.api_token_revoke,
        name="api_token_revoke",
    ),
    path("api/webhooks/", integrations.webhook_endpoint_list, name="webhook_endpoint_list"),
    path(
        "api/webhooks/new/", integrations.webhook_endpoint_create, name="webhook_endpoint_create"
    ),
    path(
        "api/webhooks/<int:endpoint_id>/",
        integrations.webhook_endpoint_detail,
        name="webhook_endpoint_detail",
    ),
    path(
        "api/webhooks/<int:endpoint_id>/state/",
        integrations.webhook_endpoint_state,
        name="webhook_endpoint_state",
    ),
    path(
        "api/webhooks/<int:endpoint_id>/delete/",
        integrations.webhook_endpoint_delete,
        name="webhook_endpoint_delete",
    ),
    path(
        "api/webhooks/<int:endpoint_id>/messages/<int:message_id>/replay/",
        integrations.webhook_message_replay,
        name="webhook_message_replay",
    ),
    # Signing in and out, passwords, invitations, the second factor.
    path("login/", signin.PortalLoginView.as_view(), name="login"),
    path("login/code/", signin.login_code, name="login_code"),
    path("account/two-factor/", signin.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/off/", signin.two_factor_disable, name="two_factor_disable"),
    path("members/two-factor/", signin.two_factor_policy, name="two_factor_policy"),
    path("logout/", home.logout_view, name="logout"),
    path("password/change/", home.password_change, name="password_change"),
    path("password/change/done/", home.password_change_done, name="password_change_done"),
    path("password/reset/", home.password_reset, name="password_reset"),
    path("password/reset/sent/", home.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        home.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", home.password_reset_complete, name="password_reset_complete"),
    path("invitation/<uidb64>/<token>/", home.invitation_accept, name="invitation_accept"),
]
