"""Customer-audit pages, included inside the "portal" namespace (apps/portal/urls.py).

Each name is in apps/portal/areas.py, which says which audit area the page belongs to.
"""

from django.urls import path

from apps.audit import portal_views as views

urlpatterns = [
    path("terms/", views.audit_terms, name="audit_terms"),
    path("", views.audit_grant_list, name="audit_grant_list"),
    path("new/", views.audit_grant_create, name="audit_grant_create"),
    path("<int:grant_id>/revoke/", views.audit_grant_revoke, name="audit_grant_revoke"),
    path("access-log/", views.audit_access_log, name="audit_access_log"),
    path("history/", views.audit_history, name="audit_history"),
    path("register-as-of/", views.audit_register_as_of, name="audit_register_as_of"),
]
