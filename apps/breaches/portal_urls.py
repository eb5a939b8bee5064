"""Breach incident pages, included inside the portal's namespace (portal:breach_...)."""

from django.urls import path

from apps.breaches import portal_views

urlpatterns = [
    path("", portal_views.incident_list, name="breach_incident_list"),
    path("<int:incident_id>/", portal_views.incident_detail, name="breach_incident_detail"),
    path(
        "<int:incident_id>/acknowledge/",
        portal_views.incident_acknowledge,
        name="breach_incident_acknowledge",
    ),
    path(
        "<int:incident_id>/report.pdf",
        portal_views.incident_report_pdf,
        name="breach_incident_report_pdf",
    ),
]
