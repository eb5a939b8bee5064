"""Data-subject request pages, included inside the portal's namespace (portal:dsar_...)."""

from django.urls import path

from apps.dsar import portal_views

urlpatterns = [
    path("", portal_views.ticket_list, name="dsar_ticket_list"),
    path("new/", portal_views.ticket_submit, name="dsar_ticket_submit"),
    path("<str:ticket_reference>/", portal_views.ticket_detail, name="dsar_ticket_detail"),
    path(
        "<str:ticket_reference>/withdraw/",
        portal_views.ticket_withdraw,
        name="dsar_ticket_withdraw",
    ),
    path(
        "<str:ticket_reference>/files/<int:attachment_id>/",
        portal_views.attachment_download,
        name="dsar_attachment_download",
    ),
]
