from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from apps.core.views import health
from apps.processors.views import processor_logo

urlpatterns = [
    # The staff dashboard answers at the admin's root, ahead of the admin's stock index.
    path("admin/", include("apps.workspace.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    path("brand/logo/<str:version>", processor_logo, name="processor_logo"),
    path("staff/", include("apps.accounts.urls")),
    path("portal/", include("apps.portal.urls")),
    path("api/v1/", include("apps.api.urls")),
    path("", include("apps.portal.public_urls")),
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
]
