"""Portal URLs of deletion and return; included inside the "portal" namespace."""

from django.urls import path

from apps.offboarding import portal_views as views

TABLES = ("activities", "subprocessors", "transfers", "security_measures")

urlpatterns = [
    path("data/", views.data_overview, name="data_overview"),
    path("data/<int:controller_id>/record.pdf", views.record_pdf, name="record_pdf"),
    *(
        path(
            f"data/<int:controller_id>/record-{table.replace('_', '-')}.csv",
            views.record_table_csv,
            {"table": table},
            name=f"record_{table}_csv",
        )
        for table in TABLES
    ),
    path("data/export/", views.data_export_request, name="data_export_request"),
    path(
        "data/exports/<int:export_id>/download/",
        views.data_export_download,
        name="data_export_download",
    ),
    path("data/deletion/", views.deletion_request, name="deletion_request"),
    path("data/deletion/<int:deletion_id>/cancel/", views.deletion_cancel, name="deletion_cancel"),
]
